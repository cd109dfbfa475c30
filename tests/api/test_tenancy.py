"""Every id-bearing route, called with another tenant's key (or the live key of the same
account), answers 404: nobody sees or changes a row that is not theirs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.factories import open_support_request
from tests.fakes.camt053 import credit, statement

from recura.db.models import Payment
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.einvoices import service as einvoices
from recura.domains.payments import disputes
from recura.gateways.base import GatewayEvent
from recura.notifications import outbox

# A valid body for routes whose body is validated before the id is looked up.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/plans/{id}/quote"): {"currency": "RON"},
    ("POST", "/v1/test_clocks/{id}/advance"): {"frozen_time": "2026-02-01T00:00:00Z"},
    ("POST", "/v1/customers/{id}/payment_methods"): {"token": "tok_sandbox_visa"},
    ("POST", "/v1/bank_transactions/{id}/match"): {"invoice": "inv_x"},
    ("POST", "/v1/webhook_endpoints/{id}/rotate_secret"): {},
    ("POST", "/v1/webhook_endpoints/{id}/replay"): {"event": "evt_x"},
    ("POST", "/v1/support_requests/{id}/reply"): {"body": "Am verificat."},
    ("POST", "/v1/partner_perks/{id}/vouchers"): {"codes": ["SPOT-1"]},
}
XML = {"Content-Type": "application/xml"}
# Named, not identified: each account has its own of every name, and a PUT there writes the
# caller's own (tests/notifications/test_email_overrides.py checks that it stays its own).
UPSERTS = {("PUT", "/v1/email_templates/{template}/{locale}")}
# Bodiless actions take an empty object.
EMPTY_BODY = re.compile(
    r"^/v1/(subscriptions|invoices|payment_methods)/\{id\}/\w+$"
    r"|^/v1/customers/\{id\}/payment_method_setups$"
)


def unmatched_transfer(api: Api) -> str:
    data = statement(credit("1.00", "no reference"))
    api.ok("POST", "/v1/bank_statements", 201, content=data, headers=XML)
    transfer: str = api.ok("GET", "/v1/bank_transactions")["data"][0]["id"]
    return transfer


def opened_dispute(api: Api, payment_id: str) -> str:
    """A dispute as a processor's webhook would open it (the sandbox sends none)."""
    factory = api.client.app.state.session_factory  # type: ignore[attr-defined]
    with unit_of_work(factory) as session:
        payment = session.scalars(select(Payment).where(Payment.id == payment_id)).one()
        event = GatewayEvent(
            event_id=f"evt_{payment_id}",
            kind="dispute.created",
            occurred_at=T0,
            processor_type="charge.dispute.created",
            dispute_reference=f"du_{payment_id}",
            status="needs_response",
        )
        disputes.record(session, Tenant(payment.account_id, payment.livemode), payment, event, T0)
    found: str = api.ok("GET", "/v1/disputes", params={"payment": payment_id})["data"][0]["id"]
    return found


def opened_support_request(api: Api, customer_id: str) -> str:
    """A support request as the customer opens it from the portal (the API only answers)."""
    factory = api.client.app.state.session_factory  # type: ignore[attr-defined]
    account_id: str = api.ok("GET", "/v1/account")["id"]
    return open_support_request(factory, account_id, customer_id)


def recorded_email(api: Api) -> str:
    """An email row, as the outbox's dispatch writes it for the events so far."""
    factory = api.client.app.state.session_factory  # type: ignore[attr-defined]
    with unit_of_work(factory) as session:
        while outbox.dispatch(session, T0):
            pass
    found: str = api.ok("GET", "/v1/email_messages")["data"][0]["id"]
    return found


def build_catalog(api: Api) -> dict[str, str]:
    """One object of every resource; returns the id to use per route prefix."""
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    metric = api.ok(
        "POST",
        "/v1/billable_metrics",
        201,
        json={"code": "api_calls", "name": "API calls", "aggregation": "count"},
    )["id"]
    feature = api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )["id"]
    plan = api.ok(
        "POST",
        "/v1/plans",
        201,
        json={
            "product": product,
            "code": "starter",
            "name": "Starter",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 4900}],
            "features": [{"feature": feature, "value": True}],
        },
    )["id"]
    add_on = api.ok(
        "POST",
        "/v1/add_ons",
        201,
        json={
            "code": "extra",
            "name": "Extra",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 1000}],
        },
    )["id"]
    coupon = api.ok(
        "POST", "/v1/coupons", 201, json={"code": "ten", "name": "10%", "percent_off": 10}
    )["id"]
    promo = api.ok(
        "POST", "/v1/promotion_codes", 201, json={"code": "PARTNER-TEN", "coupon": coupon}
    )["id"]
    customer = api.ok("POST", "/v1/customers", 201, json={"email": "a@example.ro"})["id"]
    card = {"gateway": "sandbox", "token": "tok_sandbox_visa"}
    method = api.ok("POST", f"/v1/customers/{customer}/payment_methods", 201, json=card)["id"]
    sub = api.ok("POST", "/v1/subscriptions", 201, json={"customer": customer, "plan": plan})
    invoice = api.ok("GET", "/v1/invoices")["data"][0]["id"]
    api.ok("POST", f"/v1/invoices/{invoice}/pay", json={})
    payment = api.ok("GET", "/v1/payments")["data"][0]["id"]
    clock = api.ok(
        "POST",
        "/v1/test_clocks",
        201,
        json={"name": "rehearsal", "frozen_time": "2026-01-01T00:00:00Z"},
    )["id"]
    return {
        "/v1/subscriptions": sub["id"],
        "/v1/checkout_sessions": api.ok(
            "POST",
            "/v1/checkout_sessions",
            201,
            json={"plan": plan, "success_url": "https://shop.example.ro/ok"},
        )["id"],
        "/v1/invoices": invoice,
        "/v1/events": api.ok("GET", "/v1/events")["data"][0]["id"],
        "/v1/credit_notes": api.ok(
            "POST", "/v1/credit_notes", 201, json={"invoice": invoice, "amount": 100}
        )["id"],
        "/v1/test_clocks": clock,
        "/v1/products": product,
        "/v1/billable_metrics": metric,
        "/v1/features": feature,
        "/v1/plans": plan,
        "/v1/add_ons": add_on,
        "/v1/coupons": coupon,
        "/v1/promotion_codes": promo,
        "/v1/customers": customer,
        "/v1/payment_methods": method,
        "/v1/payments": payment,
        "/v1/bank_transactions": unmatched_transfer(api),
        "/v1/bank_accounts": api.ok(
            "POST", "/v1/bank_accounts", 201, json={"iban": "RO49AAAA1B31007593840000"}
        )["id"],
        "/v1/disputes": opened_dispute(api, payment),
        "/v1/gateway_connections": api.ok(
            "POST", "/v1/gateway_connections", json={"gateway": "sandbox", "timeout_rate": 0}
        )["gateway"],
        "/v1/email_templates": "receipt/ro"
        if api.ok(
            "PUT",
            "/v1/email_templates/receipt/ro",
            201,
            json={"subject": "{{ number }}", "html": "{{ amount }}", "text": "{{ amount }}"},
        )
        else "",
        "/v1/refunds": api.ok("POST", "/v1/refunds", 201, json={"payment": payment, "amount": 50})[
            "id"
        ],
        "/v1/support_requests": opened_support_request(api, customer),
        "/v1/email_messages": recorded_email(api),
        "/v1/onboarding_steps": api.ok(
            "POST",
            "/v1/onboarding_steps",
            201,
            json={"code": "bank", "texts": {"en": {"title": "Connect your bank"}}},
        )["id"],
        "/v1/announcements": api.ok(
            "POST", "/v1/announcements", 201, json={"texts": {"en": {"title": "News"}}}
        )["id"],
        "/v1/acquisition_spend": api.ok(
            "POST",
            "/v1/acquisition_spend",
            201,
            json={"month": "2026-03", "channel": "ads", "amount": {"amount": 1, "currency": "RON"}},
        )["id"],
        "/v1/webhook_endpoints": api.ok(
            "POST", "/v1/webhook_endpoints", 201, json={"url": "https://hooks.merchant.example/x"}
        )["id"],
        "/v1/partner_perks": api.ok(
            "POST",
            "/v1/partner_perks",
            201,
            json={
                "name": "Spotify",
                "partner_name": "Spotify",
                "description": {"en": "Three months."},
                "kind": "voucher",
                "plans": [plan],
            },
        )["id"],
        "/v1/cancellation_feedback": cancellation_feedback(api, customer, plan),
        "/v1/api_keys": api.ok("POST", "/v1/api_keys", 201, json={"name": "tenancy"})["id"],
        "/v1/audit_log": api.ok("GET", "/v1/audit_log")["data"][0]["id"],
    }


def cancellation_feedback(api: Api, customer: str, plan: str) -> str:
    """A subscription canceled with a reason, which records its feedback."""
    sub = api.ok("POST", "/v1/subscriptions", 201, json={"customer": customer, "plan": plan})
    body = {"at_period_end": True, "reason": "other"}
    api.ok("POST", f"/v1/subscriptions/{sub['id']}/cancel", json=body)
    found = api.ok("GET", "/v1/cancellation_feedback", params={"subscription": sub["id"]})
    return str(found["data"][0]["id"])


def id_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every operation whose path names an object, from the published OpenAPI document."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path)
        for path, operations in sorted(paths.items())
        if "{" in path and path.startswith("/v1/")  # not the processors' webhooks
        for method in sorted(operations)
    ]


def fill(path: str, ids: dict[str, str]) -> str:
    prefix = path.split("/{", 1)[0]
    assert prefix in ids, f"no object for {path}: add one to build_catalog"
    path = path.replace("{id}", ids[prefix]).replace("{gateway}", ids[prefix])
    path = path.replace("{template}/{locale}", ids[prefix])
    path = path.replace("{step}", ids.get("/v1/onboarding_steps", "{step}"))
    return re.sub(r"\{version\}", "1", path)


def call(api: Api, method: str, template: str, ids: dict[str, str]) -> Any:
    empty = method == "PATCH" or (method == "POST" and EMPTY_BODY.match(template))
    body = BODIES.get((method, template), {} if empty else None)
    return api.request(method, fill(template, ids), json=body)


@pytest.fixture
def ids(api: Api, merchant: Merchant, session_factory: Any) -> dict[str, str]:
    found = build_catalog(api)
    # The worker makes e-invoices after finalisation: made here so their routes have one.
    with unit_of_work(session_factory) as session:
        tenant = Tenant(merchant.account_id, False)
        made = einvoices.make(session, tenant, T0, invoice_id=found["/v1/invoices"])
        einvoices.make(session, tenant, T0, credit_note_id=found["/v1/credit_notes"])
        found["/v1/einvoices"] = made.id
    return found


# Documents the worker makes after the fact (no worker runs here), and ANAF's answer to an
# e-invoice never sent: found, but not there yet.
MADE_LATER = {
    ("GET", "/v1/invoices/{id}/pdf"),
    ("GET", "/v1/credit_notes/{id}/pdf"),
    ("GET", "/v1/einvoices/{id}/answer"),
}


def test_owner_reaches_every_id_route(api: Api, client: TestClient, ids: dict[str, str]) -> None:
    for method, template in id_routes(client):
        if method == "GET" or template.endswith("/quote"):
            response = call(api, method, template, ids)
            expected = 409 if (method, template) in MADE_LATER else 200
            assert response.status_code == expected, (method, template, response.text)


def test_other_tenant_gets_404_everywhere(
    client: TestClient, session_factory: Any, merchant: Merchant, ids: dict[str, str]
) -> None:
    other = make_merchant(session_factory, client, name="Other SRL")
    routes = id_routes(client)
    assert len(routes) >= 20
    for caller in (other.api, other.live, merchant.live):
        for method, template in routes:
            if (method, template) in UPSERTS:
                continue
            response = call(caller, method, template, ids)
            assert response.status_code == 404, (method, template, response.text)
            assert response.headers["content-type"] == "application/problem+json"


def test_lists_show_only_own_rows(
    client: TestClient, session_factory: Any, merchant: Merchant, ids: dict[str, str]
) -> None:
    other = make_merchant(session_factory, client, name="Other SRL")
    for prefix in ids:
        own = {row["id"] for row in merchant.api.ok("GET", prefix)["data"]}
        assert own, prefix
        if prefix == "/v1/api_keys":  # every merchant has keys: none of another's
            assert own.isdisjoint(r["id"] for r in other.api.ok("GET", prefix)["data"])
            assert own.isdisjoint(r["id"] for r in merchant.live.ok("GET", prefix)["data"])
            continue
        assert other.api.ok("GET", prefix)["data"] == [], prefix
        assert merchant.live.ok("GET", prefix)["data"] == [], prefix


def test_references_to_other_tenants_rows_are_rejected(
    client: TestClient, session_factory: Any, ids: dict[str, str]
) -> None:
    other = make_merchant(session_factory, client, name="Other SRL")
    response = other.api.post(
        "/v1/plans",
        json={"product": ids["/v1/products"], "code": "x", "name": "X", "pricing_model": "free"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/product"
