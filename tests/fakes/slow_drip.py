"""A server on loopback that answers one byte at a time, a pause between bytes: it never
keeps a reader waiting long enough for a per-read timeout, yet takes as long as it likes
in all. `reads_first`: it reads the request before it starts (HTTP), or greets at once
(SMTP). It notes each connection the other side closed before the answer was complete."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Drip:
    port: int
    connections: int = 0
    cut: int = 0  # connections the other side closed before the last byte
    lock: threading.Lock = field(default_factory=threading.Lock)


HTTP_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"
SMTP_GREETING = b"220 slow.example ESMTP a greeting that takes its time to arrive\r\n"


@contextmanager
def serve_drip(answer: bytes, pause: float, *, reads_first: bool) -> Iterator[Drip]:
    listener = socket.create_server(("127.0.0.1", 0))
    drip = Drip(port=listener.getsockname()[1])
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                if reads_first:
                    conn.recv(65536)
                for byte in answer:
                    if stop.wait(pause):
                        return
                    conn.sendall(bytes([byte]))
                stop.wait(30)  # the whole answer is out; hold the connection open
            except OSError:
                with drip.lock:
                    drip.cut += 1

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with drip.lock:
                drip.connections += 1
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield drip
    finally:
        stop.set()
        listener.close()


def wait_until(condition: object, timeout: float = 60) -> None:
    """Wait (generously) for `condition()` to hold."""
    ends = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < ends, "the condition never held"
        time.sleep(0.05)
