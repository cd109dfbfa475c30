"""Loopback receivers for the benchmarks, each in a process of its own so that receiving
does not compete with the caller for one interpreter: a webhook endpoint that verifies
every request with the `standardwebhooks` library and counts event ids, and an SMTP sink
(aiosmtpd) that counts Message-IDs.

Each counts as it goes into shared counters the caller reads while it waits; `close()`
stops the process and returns every id it received with how many times.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from multiprocessing.connection import Connection
from typing import Any

import orjson
from standardwebhooks import Webhook, WebhookVerificationError

_context = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Tally:
    """What a sink received: by id (event id, or Message-ID), how many times; and how
    many requests it refused (a signature that did not verify)."""

    received: Counter[str]
    refused: int

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.received.values())


class Sink:
    """A receiver process: `accepted` and `refused` count as it goes."""

    def __init__(self, target: Any, *args: Any) -> None:
        self.accepted = _context.Value("q", 0, lock=False)
        self.refused = _context.Value("q", 0, lock=False)
        self._conn, child = _context.Pipe()
        ready = _context.Event()
        self._process = _context.Process(
            target=target, args=(child, ready, self.accepted, self.refused, *args), daemon=True
        )
        self._process.start()
        deadline = time.monotonic() + 120  # a busy machine starts processes slowly
        while not ready.wait(0.1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                self._process.kill()
                raise RuntimeError("the receiver did not start")

    @property
    def pid(self) -> int:
        pid = self._process.pid
        assert pid is not None  # started
        return pid

    def close(self) -> Tally:
        self._conn.send("stop")
        received, refused = self._conn.recv()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
        return Tally(Counter(received), refused)


def _answer_on_stop(conn: Connection, received: Counter[str], refused: Any, stop: Any) -> None:
    conn.recv()
    stop()
    conn.send((dict(received), refused.value))


# -- webhooks ---------------------------------------------------------------------------


def webhook_receiver(port: int, secret: str) -> Sink:
    """Verifies each POST to http://127.0.0.1:`port`/ against `secret` (401 if it does not
    verify) and counts its `webhook-id`, or the id of each event of a batch."""
    return Sink(_serve_webhooks, port, secret)


def _serve_webhooks(
    conn: Connection, ready: Any, accepted: Any, refused: Any, port: int, secret: str
) -> None:
    import uvicorn

    webhook = Webhook(secret)
    received: Counter[str] = Counter()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            webhook.verify(body, headers)
        except WebhookVerificationError:
            refused.value += 1
            status = 401
        else:
            # A batch's events are counted by their own ids; an event alone by its
            # webhook-id, which is its id.
            sent = orjson.loads(body)
            ids = [e["id"] for e in sent["data"]] if sent.get("type") == "batch" else []
            for event_id in ids or [headers["webhook-id"]]:
                received[event_id] += 1
            accepted.value += len(ids) or 1
            status = 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)

    def stop() -> None:
        server.should_exit = True

    threading.Thread(
        target=_answer_on_stop, args=(conn, received, refused, stop), daemon=True
    ).start()

    async def serve() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        ready.set()
        await task

    asyncio.run(serve())


# -- SMTP -------------------------------------------------------------------------------


def smtp_sink(port: int) -> Sink:
    """Accepts every message on 127.0.0.1:`port` and counts its Message-ID."""
    return Sink(_serve_smtp, port)


def _serve_smtp(conn: Connection, ready: Any, accepted: Any, refused: Any, port: int) -> None:
    from aiosmtpd.controller import Controller

    received: Counter[str] = Counter()
    parser = BytesHeaderParser()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            headers = parser.parsebytes(envelope.original_content or envelope.content)
            received[str(headers["Message-ID"])] += 1
            accepted.value += 1
            return "250 2.0.0 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ready_timeout=60)
    controller.start()
    stopped = threading.Event()
    ready.set()
    _answer_on_stop(conn, received, refused, stopped.set)
    controller.stop()
