"""Loopback servers for what localstripe cannot be made to say.

`CannedStripe` answers each request with the next scripted (status, JSON body) and records
what it was asked: it stands in for real Stripe answers localstripe never gives (issuer
decline codes, `processing`, off-session `authentication_required`, 5xx). `silent_listener`
completes TCP handshakes and never answers, which is what a hung Stripe looks like.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class CannedStripe:
    url: str = ""
    answers: deque[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)

    def answer(self, status: int, body: dict[str, Any], **headers: str) -> None:
        self.answers.append((status, body, headers))


@contextmanager
def canned_stripe() -> Iterator[CannedStripe]:
    canned = CannedStripe()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            canned.seen.append(
                Seen(
                    self.command,
                    self.path,
                    dict(self.headers),
                    self.rfile.read(length).decode(),
                )
            )
            status, body, headers = canned.answers.popleft() if canned.answers else (500, {}, {})
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _reply

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    canned.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield canned
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_listener() -> Iterator[str]:
    """A URL whose server accepts connections (the kernel does, from the backlog) and never
    sends a byte back."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
