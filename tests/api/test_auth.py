from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from tests.conftest import SECRET, T0, Merchant

from recura.api.key_cache import KeyCache
from recura.db.models import ApiKey
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import keys
from recura.domains.accounts import service as accounts


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic abc", "Bearer rk_test_nope", "Bearer sk_test_x", "bearer  "],
)
# The entitlements endpoint reads the tenant the route class set, not a dependency.
@pytest.mark.parametrize("path", ["/v1/customers", "/v1/customers/cus_x/entitlements"])
def test_missing_or_unknown_keys_are_401(client: TestClient, header: str | None, path: str) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


def _revoke_test_key(session_factory: Any, merchant: Merchant) -> None:
    with unit_of_work(session_factory) as session:
        key = session.scalar(
            select(ApiKey).where(
                ApiKey.account_id == merchant.account_id, ApiKey.livemode.is_(False)
            )
        )
        accounts.revoke_key(session, key.id, T0)


def test_revoked_key_stops_working_within_the_cache_time(
    client: TestClient, merchant: Merchant, session_factory: Any
) -> None:
    now = [100.0]
    client.app.state.api_keys = KeyCache(5, timer=lambda: now[0])  # type: ignore[attr-defined]
    merchant.api.ok("GET", "/v1/account")
    _revoke_test_key(session_factory, merchant)  # as `recura api-keys revoke` does
    now[0] += 4.9
    assert merchant.api.get("/v1/account").status_code == 200  # still trusted, as documented
    now[0] += 0.2
    assert merchant.api.get("/v1/account").status_code == 401
    assert merchant.live.get("/v1/account").status_code == 200


def test_without_the_cache_a_revoked_key_stops_working_at_once(
    client: TestClient, merchant: Merchant, session_factory: Any
) -> None:
    client.app.state.api_keys = KeyCache(0)  # type: ignore[attr-defined]
    merchant.api.ok("GET", "/v1/account")
    _revoke_test_key(session_factory, merchant)
    assert merchant.api.get("/v1/account").status_code == 401


def test_a_trusted_key_needs_no_query(
    client: TestClient, merchant: Merchant, engine: Engine
) -> None:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    merchant.api.ok("GET", "/v1/account")
    event.listen(engine, "before_cursor_execute", record)
    try:
        merchant.api.ok("GET", "/v1/account")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements
    assert not any("api_keys" in statement for statement in statements)


def test_keys_are_random_and_stored_only_as_keyed_hashes(
    merchant: Merchant, session_factory: Any
) -> None:
    with unit_of_work(session_factory) as session:
        rows = session.scalars(select(ApiKey).where(ApiKey.account_id == merchant.account_id)).all()
        stored = [" ".join(str(v) for v in vars(row).values()) for row in rows]
    for token in (merchant.test_key, merchant.live_key):
        assert not any(token in text for text in stored)
        body = token.split("_", 2)[2]
        assert len(body) == keys.TOKEN_CHARS  # 32 of 62 symbols: 190 bits
    assert {row.key_hash for row in rows} == {
        keys.keyed_hash(SECRET.encode(), merchant.test_key),
        keys.keyed_hash(SECRET.encode(), merchant.live_key),
    }
    assert keys.keyed_hash(b"another-secret", merchant.test_key) != rows[0].key_hash
    assert merchant.test_key.startswith("rk_test_")
    assert merchant.live_key.startswith("rk_live_")


def test_account_is_read_and_updated_in_its_mode(merchant: Merchant) -> None:
    account = merchant.api.ok("GET", "/v1/account")
    assert account["id"] == merchant.account_id
    assert account["livemode"] is False
    assert merchant.live.ok("GET", "/v1/account")["livemode"] is True
    updated = merchant.api.ok(
        "PATCH", "/v1/account", json={"timezone": "Europe/Berlin", "invoice_series_prefix": "NDX"}
    )
    assert (updated["timezone"], updated["invoice_series_prefix"]) == ("Europe/Berlin", "NDX")
    bad = merchant.api.patch(
        "/v1/account", json={"timezone": "Mars/Olympus", "default_currency": "XYZ"}
    )
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.json()["errors"]} == {"#/timezone", "#/default_currency"}


def test_authentication_comes_before_body_validation(client: TestClient) -> None:
    response = client.post("/v1/customers", content=b"{broken")
    assert response.status_code == 401


def test_unknown_query_parameters_are_rejected(merchant: Merchant) -> None:
    response = merchant.api.get("/v1/features", params={"cdoe": "sso", "limit": 5})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"parameter": "cdoe", "detail": "is not a parameter of this operation"}
    ]
