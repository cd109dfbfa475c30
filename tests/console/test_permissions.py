"""Every console page asks `require(permission)`, and each role gets what the table in
`core/permissions.py` gives it: the page, or a 403 page in the operator's own language."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.console.routes import router
from recura.core import permissions
from recura.core.permissions import ROLES
from tests.conftest import Merchant
from tests.console import operations_data
from tests.console.conftest import add_user, browser, sign_in
from tests.portal.conftest import Page, subscriber

# Pages for people not signed in (yet): signing in, the TOTP step, resetting a password.
PUBLIC = {
    ("GET", "/console/sign-in"),
    ("POST", "/console/sign-in"),
    ("GET", "/console/sign-in/code"),
    ("POST", "/console/sign-in/code"),
    ("GET", "/console/reset-password"),
    ("POST", "/console/reset-password"),
    ("GET", "/console/reset-password/{token}"),
    ("POST", "/console/reset-password/{token}"),
}
ROUTES = sorted(
    (method, route.path, route)
    for route in iter_route_contexts(router.routes)
    for method in route.methods or ()
)


def required(route: RouteContext) -> list[object]:
    return [
        dependency.call.permission  # type: ignore[union-attr]
        for dependency in route.dependant.dependencies
        if hasattr(dependency.call, "permission")
    ]


def test_every_console_route_is_public_or_requires_a_permission() -> None:
    assert ROUTES
    for method, path, route in ROUTES:
        assert path.startswith("/console"), path
        gates = required(route)
        if (method, path) in PUBLIC:
            assert gates == [], path
        else:
            assert len(gates) == 1, (method, path)


def test_the_analyst_only_reads() -> None:
    granted = permissions.GRANTS["analyst"]
    assert granted
    assert all(name.endswith(".read") for name in granted)


GUARDED = [(m, p, r) for m, p, r in ROUTES if (m, p) not in PUBLIC]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in GUARDED])
def test_each_role_gets_what_its_permissions_allow(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    method: str,
    path: str,
    role: str,
) -> None:
    route = next(r for m, p, r in GUARDED if (m, p) == (method, path))
    (permission,) = required(route)
    other = add_user(session_factory, merchant, "support")
    operator = add_user(session_factory, merchant, role, locale="ro")
    own = browser(client)
    sign_in(own, operator.email)
    customer = merchant.api.ok("POST", "/v1/customers", 201, json={"name": "Ana"})["id"]
    endpoint = "{endpoint_id}"
    if endpoint in path:
        body = {"url": "http://127.0.0.1:9/hooks"}
        endpoint = merchant.api.ok("POST", "/v1/webhook_endpoints", 201, json=body)["id"]
    step = "{item_id}"
    if step in path:
        body = {"code": "welcome", "texts": {"en": {"title": "Welcome"}}}
        step = merchant.live.ok("POST", "/v1/onboarding_steps", 201, json=body)["id"]
    if "{subscription_id}" in path or "{invoice_id}" in path:
        # A paying subscriber: a subscription, its paid invoice and a payment to refund.
        paying = subscriber(merchant.api, "en")
        (invoice,) = merchant.api.ok("GET", "/v1/invoices", params={"customer": paying.customer})[
            "data"
        ]
        path = path.replace("{subscription_id}", paying.subscription)
        path = path.replace("{invoice_id}", invoice["id"])
    url = (
        path.replace("{user_id}", other.user_id)
        .replace("{action}", "language")
        .replace("{key_id}", "key_unknown")
        .replace("{customer_id}", customer)
        .replace("{endpoint_id}", endpoint)
        .replace("{gateway}", "stripe")
        .replace("{template}", "welcome")
        .replace("{locale}", "ro")
        .replace("{kind_key}", "steps")
        .replace("{bank_account_id}", "bac_unknown")
        .replace("{item_id}", step)
    )
    url = operations_data.fill(url, session_factory, merchant, merchant.api)
    response = own.request(
        method, url, data={} if method == "POST" else None, follow_redirects=False
    )
    allowed = permission is None or permissions.allows(role, permission)
    if allowed:
        assert response.status_code in (200, 303, 403, 404, 409, 422), response.text
        if response.status_code == 403:  # the form's key was missing, not the permission
            assert "Acces nepermis" not in Page(response).text
        if method == "GET" and "{credit_note_id}" in path:
            assert response.status_code == 404  # no such document: the page says so
        elif method == "GET" and path.endswith("/pdf"):
            # A test-mode invoice asked in live mode is not found; in its mode, no worker
            # has made its PDF here.
            assert response.status_code in (404, 409)
        elif method == "GET":
            assert response.status_code == 200
    else:
        assert response.status_code == 403
        page = Page(response)
        assert re.search(r'<html lang="ro"', response.text)
        assert "Acces nepermis" in page.text
        assert "Analist" in page.text or role != "analyst"
