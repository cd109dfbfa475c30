"""`recura serve` starts a real server (API and embedded worker) on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.test_signed_paths import TOKEN
from tests.conftest import SECRET
from tests.waiting import PATIENCE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_and_stops(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RECURA_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "RECURA_SECRET_KEY": SECRET,
        "RECURA_WORKER_INTERVAL_SECONDS": "0.2",
    }
    recura = [sys.executable, "-m", "recura.cli"]
    subprocess.run([*recura, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    server = subprocess.Popen(
        [*recura, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + PATIENCE  # a busy machine starts Python slowly
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                assert server.poll() is None, "server exited"
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        unauthorized = httpx.get(f"http://127.0.0.1:{port}/v1/customers", timeout=5)
        assert unauthorized.status_code == 401
        assert unauthorized.headers["content-type"] == "application/problem+json"
        link = httpx.get(f"http://127.0.0.1:{port}/email/unsubscribe/{TOKEN}", timeout=5)
        assert link.status_code == 404
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    # uvicorn re-raises SIGTERM after a graceful shutdown (lifespan, worker thread joined).
    assert server.returncode in (0, -15), output
    assert "Application shutdown complete" in output
    assert "Traceback" not in output
    # The access log shows the signed link's page, never its token.
    assert "GET /email/unsubscribe/[redacted]" in output
    assert TOKEN not in output
