"""Subscribers in the states the portal's links are sent in, and reading its pages."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import lxml.html
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.jobs.worker import run_once
from recura.notifications import links
from recura.notifications.smtp import Mailer
from tests.conftest import SECRET, T0, Api, Merchant
from tests.notifications.mailbox import PUBLIC_URL, Mailbox
from tests.scenarios.world import World

MINUTE = timedelta(minutes=1)
PRICE = 4900  # RON 49.00 a month, 21% VAT on top: 59.29
TOTAL = 5929


@dataclass
class Subscriber:
    world: World
    customer: str
    subscription: str
    email: str


def subscriber(
    api: Api, locale: str, card: str | None = "tok_sandbox_visa", currency: str = "RON"
) -> Subscriber:
    """A customer on a test clock at T0 with a monthly plan, paying with `card`; when that
    card declines, the first invoice is open and the subscription past due."""
    world = World(api, T0, currency=currency)
    email = f"{locale}-{uuid.uuid4().hex[:8]}@example.ro"
    customer = world.customer(card=card, email=email, locale=locale, name="Ana Popescu")
    sub = world.subscribe(customer, world.plan(PRICE))["id"]
    world.advance_to(T0 + MINUTE)
    return Subscriber(world, customer, sub, email)


def sign(merchant: Merchant, purpose: links.Purpose, who: Subscriber, **over: Any) -> str:
    subscription = over.pop("subscription", who.subscription)
    return links.sign(
        SECRET.encode(),
        purpose,
        over.pop("account_id", merchant.account_id),
        over.pop("livemode", False),
        over.pop("customer_id", who.customer),
        subscription,
        over.pop("now", T0),
    )


def emailed_link(
    factory: sessionmaker[Session], mailer: Mailer, mailbox: Mailbox, template: str, to: str
) -> str:
    """The portal address in the email as sent (its path, without the public URL)."""
    # The outbox's fan-out, the invoice's PDF where the email attaches one, then the sending.
    for _ in range(5):
        run_once(factory, FixedClock(T0), mailer)
        if mailbox.of(template, to):
            break
    (received,) = mailbox.of(template, to)
    found = re.search(re.escape(PUBLIC_URL) + r"(/portal/[^\s\"<>]+)", received.part("plain"))
    assert found is not None, received.part("plain")
    return found.group(1)


class Page:
    """A rendered portal page: its text, its forms and links."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.tree = lxml.html.fromstring(response.text)

    @property
    def text(self) -> str:
        """The body's words, single-spaced (a no-break space counts as a space too)."""
        return " ".join(self.tree.body.text_content().split())

    def form(self, form_id: str | None = None) -> dict[str, str]:
        """The fields a browser would send, radio buttons as checked."""
        forms = self.tree.xpath(f'//form[@id="{form_id}"]' if form_id else "//form")
        assert forms, f"no form {form_id or ''} in {self.text}"
        fields = {}
        for field in forms[0].xpath(".//input"):
            if field.get("type") == "radio" and field.get("checked") is None:
                continue
            fields[field.get("name")] = field.get("value") or ""
        return fields

    def link(self, element_id: str) -> str:
        (found,) = self.tree.xpath(f'//*[@id="{element_id}"]')
        return str(found.get("href"))

    def radios(self, name: str) -> list[str]:
        return [str(e.get("value")) for e in self.tree.xpath(f'//input[@name="{name}"]')]


def get(client: TestClient, path: str, status: int = 200) -> Page:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-type"].startswith("text/html")
    return Page(response)


def post(client: TestClient, path: str, data: dict[str, str], status: int = 200) -> Page:
    response = client.post(path, data=data)
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    return Page(response)
