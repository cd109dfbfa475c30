"""/v1/api_keys: keys made, listed and revoked through the API; when keys were last used."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from tests.conftest import T0, Api, Merchant
from tests.waiting import wait_until

from recura.api.key_cache import KeyCache
from recura.api.key_usage import KeyUsage
from recura.clock import FixedClock
from recura.db.models import ApiKey
from recura.db.unit_of_work import unit_of_work


def test_a_created_key_is_shown_once_and_works_at_once(
    client: TestClient, merchant: Merchant
) -> None:
    created = merchant.api.ok(
        "POST",
        "/v1/api_keys",
        201,
        json={"name": "reporter", "scope": "restricted", "permissions": {"usage": "write"}},
    )
    secret = created["secret"]
    assert secret.startswith("rk_test_")
    assert created["redacted"] == f"rk_test_…{secret[-4:]}"
    assert created["scope"] == "restricted"
    assert created["permissions"] == {"usage": "write"}
    assert created["created_by"].startswith("test (rk_test_…")
    assert created["created_at"] == T0.isoformat().replace("+00:00", "Z")
    assert created["last_used_at"] is None
    assert created["livemode"] is False

    again = merchant.api.ok("GET", f"/v1/api_keys/{created['id']}")
    assert again["secret"] is None
    listed = merchant.api.ok("GET", "/v1/api_keys")["data"]
    assert created["id"] in [k["id"] for k in listed]
    assert all(k["secret"] is None for k in listed)
    # Keys are per mode, like every other object.
    assert created["id"] not in [k["id"] for k in merchant.live.ok("GET", "/v1/api_keys")["data"]]
    assert merchant.live.get(f"/v1/api_keys/{created['id']}").status_code == 404

    reporter = Api(client, secret)
    assert reporter.get("/v1/customers/cus_x/usage").status_code == 404  # allowed, not found
    assert reporter.get("/v1/customers").status_code == 403


def test_keys_are_made_by_full_keys_only_and_never_exceed_them(
    client: TestClient, merchant: Merchant
) -> None:
    made = merchant.api.ok(
        "POST",
        "/v1/api_keys",
        201,
        json={"name": "reader of keys", "scope": "restricted", "permissions": {"api_keys": "read"}},
    )
    reader = Api(client, made["secret"])
    reader.ok("GET", "/v1/api_keys")
    refused = reader.post("/v1/api_keys", json={"name": "more"})
    assert refused.status_code == 403
    assert "`api_keys:write`" in refused.json()["detail"]
    # A restricted key may not be given `api_keys: write` at all.
    bad = merchant.api.post(
        "/v1/api_keys",
        json={"name": "x", "scope": "restricted", "permissions": {"api_keys": "write"}},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "#/permissions"


def test_permissions_are_checked(merchant: Merchant) -> None:
    for body in (
        {"name": "x", "scope": "restricted"},
        {"name": "x", "scope": "restricted", "permissions": {"nope": "read"}},
        {"name": "x", "scope": "read_only", "permissions": {"customers": "read"}},
        {"name": "x", "scope": "restricted", "permissions": {"customers": "admin"}},
        {"name": "x", "scope": "everything"},
        {"name": ""},
    ):
        response = merchant.api.post("/v1/api_keys", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"


def test_a_revoked_key_is_refused_at_once_even_while_cached(
    client: TestClient, merchant: Merchant
) -> None:
    now = [100.0]
    client.app.state.api_keys = KeyCache(60, timer=lambda: now[0])  # type: ignore[attr-defined]
    made = merchant.api.ok("POST", "/v1/api_keys", 201, json={"name": "temporary"})
    temporary = Api(client, made["secret"])
    temporary.ok("GET", "/v1/customers")  # now cached for a minute
    revoked = merchant.api.ok("POST", f"/v1/api_keys/{made['id']}/revoke")
    assert revoked["revoked_at"] is not None
    assert temporary.get("/v1/customers").status_code == 401
    again = merchant.api.post(f"/v1/api_keys/{made['id']}/revoke")
    assert again.status_code == 409
    merchant.api.ok("GET", "/v1/customers")  # the revoking key itself is untouched


def test_last_use_is_written_in_batches_not_per_request(
    client: TestClient, merchant: Merchant, engine: Engine, clock: FixedClock, session_factory: Any
) -> None:
    now = [0.0]
    usage = KeyUsage(session_factory, timer=lambda: now[0], interval=60)
    client.app.state.key_usage = usage  # type: ignore[attr-defined]
    writes: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE") and "last_used_at" in statement:
            writes.append(statement)

    def last_uses() -> dict[bool, Any]:
        with unit_of_work(session_factory) as session:
            stmt = select(ApiKey).where(ApiKey.account_id == merchant.account_id)
            return {k.livemode: k.last_used_at for k in session.scalars(stmt)}

    event.listen(engine, "before_cursor_execute", seen)
    try:
        for _ in range(5):
            merchant.api.ok("GET", "/v1/customers")
        merchant.live.ok("POST", "/v1/customers", 201, json={"name": "Ana"})
        assert writes == []  # none of the requests wrote a use
        clock.advance(timedelta(seconds=30))
        now[0] = 61.0
        merchant.api.ok("GET", "/v1/customers")  # a minute on: starts the batch's write
        later = T0 + timedelta(seconds=30)
        wait_until(lambda: last_uses() == {False: later, True: T0}, "the batch's write")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(writes) == 1  # one statement for both keys
    (shown,) = merchant.api.ok("GET", "/v1/api_keys")["data"]
    assert shown["last_used_at"] == "2026-01-15T09:30:30Z"
