"""Every /v1 route belongs to a resource family, and a key's scope decides what it may do."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from tests.conftest import SECRET, T0, Api, Merchant

from recura.api import permissions
from recura.api.app import create_app
from recura.api.routing import UnitOfWorkRoute
from recura.config import Settings
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import scopes
from recura.domains.accounts import service as accounts

APP = create_app(Settings(database_url="sqlite:///:memory:", secret_key=SECRET))  # type: ignore[arg-type]
API_ROUTES = [r for r in APP.routes if isinstance(r, APIRoute) and r.path.startswith("/v1/")]


def test_every_api_route_is_a_unit_of_work_route_with_a_listed_family() -> None:
    assert len(API_ROUTES) > 100
    unlisted = [r.path for r in API_ROUTES if permissions.family_of(r.path) is None]
    assert unlisted == [], "add these routes' resources to api/permissions.py"
    assert all(isinstance(r, UnitOfWorkRoute) for r in API_ROUTES)
    assert {r.family for r in API_ROUTES if isinstance(r, UnitOfWorkRoute)} <= set(scopes.FAMILIES)


def test_the_table_names_only_known_families() -> None:
    assert set(permissions.FAMILY_OF_RESOURCE.values()) <= set(scopes.FAMILIES)


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/v1/customers", "customers"),
        ("/v1/customers/{id}", "customers"),
        ("/v1/customers/{id}/payment_methods", "payments"),
        ("/v1/customers/{id}/entitlements", "entitlements"),
        ("/v1/customers/{id}/usage", "usage"),
        ("/v1/customers/{id}/onboarding_steps/{step}/complete", "portal"),
        ("/v1/plans/{id}/versions/{version}", "catalog"),
        ("/v1/promotion_codes", "catalog"),
        ("/v1/webhook_endpoints/{id}/deliveries", "webhooks"),
        ("/v1/api_keys/{id}/revoke", "api_keys"),
        ("/v1/audit_log", "audit_log"),
        ("/v1/nothing_like_it", None),
        ("/webhooks/{gateway}/{connection_id}", None),
    ],
)
def test_a_path_maps_to_the_family_of_its_longest_listed_resource(
    path: str, family: str | None
) -> None:
    assert permissions.family_of(path) == family


@pytest.mark.parametrize(
    ("method", "level"),
    [("GET", "read"), ("HEAD", "read"), ("POST", "write"), ("PATCH", "write"),
     ("PUT", "write"), ("DELETE", "write")],
)  # fmt: skip
def test_only_get_and_head_read(method: str, level: str) -> None:
    assert permissions.level_of(method) == level


def _scoped(
    client: TestClient, session_factory: Any, merchant: Merchant, scope: str, **perms: str
) -> Api:
    with unit_of_work(session_factory) as session:
        issued = accounts.issue_key(
            session,
            merchant.account_id,
            False,
            f"{scope} key",
            SECRET.encode(),
            T0,
            scope=scope,  # type: ignore[arg-type]
            permissions=perms,  # type: ignore[arg-type]
        )
    return Api(client, issued.token)


def _refused(response: Any, needed: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:recura:problem:permission-missing"
    assert f"`{needed}`" in problem["detail"]


def test_a_read_only_key_reads_every_family_and_writes_none(
    client: TestClient, session_factory: Any, merchant: Merchant
) -> None:
    reader = _scoped(client, session_factory, merchant, "read_only")
    for path in ("/v1/customers", "/v1/account", "/v1/events", "/v1/api_keys", "/v1/audit_log"):
        reader.ok("GET", path)
    _refused(reader.post("/v1/customers", json={"name": "x"}), "customers:write")
    _refused(reader.patch("/v1/account", json={"days_until_due": 3}), "account:write")
    _refused(reader.post("/v1/api_keys", json={"name": "x"}), "api_keys:write")
    _refused(reader.request("DELETE", "/v1/webhook_endpoints/we_x"), "webhooks:write")
    # Refused before anything ran: no customer was made.
    assert merchant.api.ok("GET", "/v1/customers")["data"] == []


def test_a_restricted_key_does_what_its_permissions_list_and_nothing_else(
    client: TestClient, session_factory: Any, merchant: Merchant
) -> None:
    key = _scoped(
        client, session_factory, merchant, "restricted", customers="write", catalog="read"
    )
    customer = key.ok("POST", "/v1/customers", 201, json={"name": "Ana"})
    key.ok("GET", f"/v1/customers/{customer['id']}")
    key.ok("GET", "/v1/products")
    _refused(key.post("/v1/products", json={"name": "Pro"}), "catalog:write")
    _refused(key.get("/v1/invoices"), "invoices:read")
    _refused(key.get(f"/v1/customers/{customer['id']}/payment_methods"), "payments:read")
    _refused(key.get("/v1/audit_log"), "audit_log:read")
    _refused(key.get("/v1/api_keys"), "api_keys:read")


def test_the_refusal_comes_after_authentication(client: TestClient) -> None:
    assert client.post("/v1/customers", json={}).status_code == 401


def test_scope_rules() -> None:
    assert scopes.allows("full", {}, None, "write")
    assert not scopes.allows("read_only", {}, None, "read")
    assert scopes.allows("read_only", {}, "customers", "read")
    assert not scopes.allows("read_only", {}, "customers", "write")
    assert scopes.allows("restricted", {"usage": "write"}, "usage", "read")
    assert not scopes.allows("restricted", {"usage": "read"}, "usage", "write")
    assert not scopes.allows("restricted", {"usage": "write"}, "customers", "read")
