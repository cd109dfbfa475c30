"""Signed links never reach a log: the access log of a served request shows the page with
its token (and query) replaced."""

from __future__ import annotations

import logging
import time

import httpx
import pytest
from sqlalchemy import Engine
from tests.fakes.server_thread import serve_in_thread
from tests.waiting import PATIENCE

from recura.api.app import create_app
from recura.api.signed_paths import ACCESS_LOGGER, redact
from recura.clock import FixedClock
from recura.config import Settings

TOKEN = "eyJwIjoidW5zdWJzY3JpYmUiLCJhIjoiYWNjdF8xIn0.dGhlLW1hYy1vZi10aGUtbGluaw"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/email/unsubscribe/{TOKEN}", "/email/unsubscribe/[redacted]"),
        (f"/portal/reactivate/{TOKEN}", "/portal/reactivate/[redacted]"),
        (
            f"/portal/payment-method/{TOKEN}/return?approval_token_id=x",
            "/portal/payment-method/[redacted]/return?[redacted]",
        ),
        ("/v1/customers?limit=3", "/v1/customers?limit=3"),
        ("/portal/", "/portal/"),
    ],
)
def test_the_token_part_of_a_path_is_replaced(path: str, logged: str) -> None:
    assert redact(path) == logged


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_access_log_of_a_served_request_holds_no_token(
    settings: Settings, clock: FixedClock, engine: Engine
) -> None:
    paths = [
        f"/email/unsubscribe/{TOKEN}",
        f"/portal/reactivate/{TOKEN}",
        f"/portal/payment-method/{TOKEN}/return?approval_token_id=SETUP-TOKEN-1",
    ]
    lines = Lines()
    with serve_in_thread(create_app(settings, clock=clock, engine=engine), access_log=True) as url:
        # Added once the server has configured logging, which replaces the logger's handlers.
        logging.getLogger(ACCESS_LOGGER).addHandler(lines)
        try:
            for path in paths:
                httpx.get(url + path, timeout=30)
            httpx.post(url + paths[0], timeout=30)
            deadline = time.monotonic() + PATIENCE
            while len(lines.lines) < 4:
                assert time.monotonic() < deadline, f"4 access log lines, not {lines.lines}"
                time.sleep(0.02)
        finally:
            logging.getLogger(ACCESS_LOGGER).removeHandler(lines)
    assert not [line for line in lines.lines if TOKEN in line or "SETUP-TOKEN" in line]
    assert any('"GET /email/unsubscribe/[redacted] HTTP/1.1" 404' in line for line in lines.lines)
    assert any("POST /email/unsubscribe/[redacted]" in line for line in lines.lines)
