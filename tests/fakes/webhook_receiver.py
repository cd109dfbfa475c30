"""A merchant's webhook receiver on loopback: verifies every request with the
`standardwebhooks` library, deduplicates by `webhook-id`, and answers as scripted."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = "ok"


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    # Which of the receiver's secrets verified it (none: the signature did not verify).
    verified_by: list[str]


class Receiver:
    def __init__(self) -> None:
        self.url = ""
        self.secrets: list[str] = []
        self.script: list[Answer] = []  # answers for the next requests, then 200s
        self.received: list[Received] = []
        # What a deduplicating receiver acts on: each webhook-id once.
        self.processed: Counter[str] = Counter()
        self.payloads: dict[str, Any] = {}
        self.duplicates: Counter[str] = Counter()
        # Cleared: requests wait (before being processed) until it is set again.
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        self.arrived = 0  # requests read, whether or not the gate has let them through

    def answer(self, *answers: Answer) -> None:
        with self.lock:
            self.script.extend(answers)

    def ids(self) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.received]

    def handle(self, headers: dict[str, str], body: bytes) -> Answer:
        verified = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified.append(secret)
        webhook_id = headers.get("webhook-id", "")
        with self.lock:
            self.received.append(Received(webhook_id, headers, body, verified))
            if not verified:
                return Answer(401, body="bad signature")
            scripted = self.script.pop(0) if self.script else None
            if scripted is not None and scripted.status >= 300:
                return scripted
            if webhook_id in self.processed:
                self.duplicates[webhook_id] += 1
            else:
                self.processed[webhook_id] += 1
                self.payloads[webhook_id] = json.loads(body)
            return scripted or Answer()


@contextmanager
def serve_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with receiver.lock:
                receiver.arrived += 1
            receiver.gate.wait(timeout=30)
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = receiver.handle(headers, body)
            data = answer.body.encode()
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the sender went away (killed) before the answer
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.gate.set()
        server.shutdown()
        server.server_close()
