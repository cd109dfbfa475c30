"""Serve an ASGI app with uvicorn in a background thread, on loopback only."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from tests.waiting import wait_until


@contextmanager
def serve_in_thread(app: ASGIApp, access_log: bool = False) -> Iterator[str]:
    """Yield the base URL (http://127.0.0.1:PORT) while `app` is being served; with
    `access_log`, each request is logged on `uvicorn.access` as `recura serve` does."""
    # Binding the socket here, on port 0, gets a free port with no window in which
    # another process could take it between choosing and listening.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="info" if access_log else "warning",
        access_log=access_log,
        lifespan="off",
        loop="asyncio",
        # Requests held back on purpose (the fake's "hang") must not hold up shutdown.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(
        lambda: server.started,
        "the test server started",
        gone=lambda: None if thread.is_alive() else "the server's thread ended",
        poll=0.01,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
