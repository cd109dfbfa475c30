"""Bodies are capped before they are read: a declared length over the cap and a chunked body
that grows past it are both a 413 problem, on routes with and without an API key."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.conftest import Api, Merchant
from tests.fakes.camt053 import IBAN, credit, statement
from tests.fakes.server_thread import serve_in_thread

from recura.api.app import create_app
from recura.api.body_limit import API_LIMIT, MIB, PAGE_LIMIT, STATEMENT_LIMIT
from recura.clock import FixedClock
from recura.config import Settings

XML = {"Content-Type": "application/xml"}
JSON = {"Content-Type": "application/json"}


def assert_too_large(response: Any, path: str) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:recura:problem:too-large"
    assert problem["instance"] == path


def test_a_declared_length_over_the_cap_is_413(api: Api) -> None:
    response = api.post("/v1/customers", content=b" " * (API_LIMIT + 1), headers=JSON)
    assert_too_large(response, "/v1/customers")
    assert "1 MiB" in response.json()["detail"]
    # At the cap itself the body is read (and found to be no object).
    at_cap = api.post("/v1/customers", content=b" " * (API_LIMIT - 2) + b"[]", headers=JSON)
    assert at_cap.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers",
        "/webhooks/stripe/gwc_nothing",
        "/portal/reactivate/x",
        "/email/unsubscribe/x",
    ],
)
def test_routes_without_a_key_are_capped_too(client: TestClient, path: str) -> None:
    limit = API_LIMIT if path.startswith("/v1/") else PAGE_LIMIT
    response = client.post(path, content=b"x" * (limit + 1))
    assert_too_large(response, path)


def test_a_bank_statement_may_be_larger(api: Api) -> None:
    api.patch("/v1/account", json={"iban": IBAN})
    data = statement(credit("10.00", "Transfer", acct_svcr_ref="BIG-1"))
    # A large export: the same statement padded with a comment to 5 MiB.
    padding = b"<!-- " + b"x" * (5 * MIB) + b" -->\n"
    body = data.replace(b"?>\n", b"?>\n" + padding, 1)
    assert len(body) > 5 * MIB
    imported = api.ok("POST", "/v1/bank_statements", 201, content=body, headers=XML)
    assert len(imported["data"]) == 1
    too_big = api.post("/v1/bank_statements", content=b" " * (STATEMENT_LIMIT + 1), headers=XML)
    assert_too_large(too_big, "/v1/bank_statements")
    assert "20 MiB" in too_big.json()["detail"]


@pytest.fixture
def served(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[tuple[str, int]]:
    with serve_in_thread(create_app(settings, clock=clock, engine=engine)) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def send_chunked(address: tuple[str, int], path: str, total: int, key: str = "") -> bytes:
    """POST `total` bytes chunked (no Content-Length) on a raw socket; the answer as soon as
    the server gives one, which may be before the client has sent everything."""
    chunk = b"x" * (64 * 1024)
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\r\n".encode()
        )
        sent = 0
        try:
            while sent < total:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the client was done
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    return answer


@pytest.mark.parametrize(
    ("path", "limit"), [("/v1/customers", API_LIMIT), ("/webhooks/stripe/gwc_nothing", PAGE_LIMIT)]
)
def test_a_chunked_body_is_cut_off_at_the_cap(
    served: tuple[str, int], merchant: Merchant, path: str, limit: int
) -> None:
    # No Content-Length: the server can only count. Many times the cap is offered; the
    # answer comes once the cap is passed (the webhook's route has no API key to check).
    answer = send_chunked(served, path, 8 * limit, key=merchant.test_key)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"application/problem+json" in head
    assert b"urn:recura:problem:too-large" in body


def test_a_chunked_body_under_the_cap_is_read(served: tuple[str, int], merchant: Merchant) -> None:
    answer = send_chunked(served, "/v1/customers", 128 * 1024, key=merchant.test_key)
    # Read in full, and found to be no JSON: the body reached the application.
    assert answer.startswith(b"HTTP/1.1 422"), answer[:200]
