"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts.

It can refuse the next messages with given replies (a 4xx or 5xx), and hold the connection
after accepting a chosen message, so a test can kill the sender while it waits for the 250.
A plugin of the root conftest: the `mailbox` and `mailer` fixtures serve every directory.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from recura.notifications.smtp import Mailer, SmtpConfig
from tests.conftest import SECRET
from tests.waiting import wait_until

PUBLIC_URL = "https://billing.example.ro"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def template(self) -> str:
        return str(self.message["X-Recura-Email"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        assert body.get_content_type() == f"text/{subtype}"
        return str(body.get_content())  # type: ignore[attr-defined]


@dataclass
class Mailbox:
    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    # Replies for the next messages to an address, instead of accepting them.
    refuse: dict[str, list[str]] = field(default_factory=dict)
    # Accept this many messages to addresses ending so, then keep the sender waiting.
    hold_after: int | None = None
    hold_for: str = ""
    released: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for to in envelope.rcpt_tos:
            if self.refuse.get(to):
                return self.refuse[to].pop(0)
        message = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        held = [r for r in self.received if any(t.endswith(self.hold_for) for t in r.rcpt_tos)]
        if self.hold_after is not None and len(held) >= self.hold_after:
            while not self.released:
                await asyncio.sleep(0.05)
        return "250 2.0.0 OK"

    def by_message_id(self) -> dict[str, Received]:
        """What a receiver that deduplicates by Message-ID keeps."""
        return {str(r.message["Message-ID"]): r for r in self.received}

    def templates(self, to: str | None = None) -> list[str]:
        return [r.template for r in self.received if to is None or to in r.rcpt_tos]

    def of(self, template: str, to: str | None = None) -> list[Received]:
        return [
            r for r in self.received if r.template == template and (to is None or to in r.rcpt_tos)
        ]

    def wait_for(self, count: int) -> None:
        wait_until(
            lambda: len(self.received) >= count,
            f"{count} emails to arrive",
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(**kwargs: Any) -> tuple[Controller, Mailbox]:
    mailbox = Mailbox("127.0.0.1", free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port, **kwargs)
    controller.start()
    return controller, mailbox


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    controller, box = start()
    try:
        yield box
    finally:
        box.released = True
        controller.stop()


@pytest.fixture
def mailer(mailbox: Mailbox) -> Mailer:
    return Mailer(
        smtp=SmtpConfig(mailbox.host, mailbox.port, timeout=5),
        secret=SECRET.encode(),
        public_url=PUBLIC_URL,
        default_from="billing@recura.test",
    )
