"""Test data for the Payments, Catalog and Support pages: a paid payment, a dispute about
it, an invoice sent for a bank transfer with a transfer that quotes nothing, catalog objects
and a support request, each made as the API (or the processor's webhook) would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Dispute, Payment
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.payments import disputes
from recura.gateways.base import GatewayEvent
from tests.conftest import T0, Api, Merchant
from tests.factories import open_support_request
from tests.fakes.camt053 import IBAN, credit, statement
from tests.portal.conftest import MINUTE, PRICE
from tests.scenarios.world import World

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
XML = {"Content-Type": "application/xml"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def paid_payment(api: Api) -> dict[str, Any]:
    """A card payment that succeeded, of a customer named Ana Popescu."""
    world = World(api, T0)
    customer = world.customer(email=f"{unique('ana')}@example.ro", name="Ana Popescu")
    world.subscribe(customer, world.plan(PRICE, code=unique("plan")))
    world.advance_to(T0 + MINUTE)
    (payment,) = api.ok("GET", "/v1/payments", params={"customer": customer})["data"]
    return dict(payment)


def dispute(factory: sessionmaker[Session], merchant: Merchant, payment: dict[str, Any]) -> str:
    """The processor's news of a chargeback on `payment`, as its webhook would bring it."""
    with unit_of_work(factory) as session:
        tenant = Tenant(merchant.account_id, livemode=False)
        paid = session.get_one(Payment, (merchant.account_id, payment["id"]))
        event = GatewayEvent(
            event_id="evt_dispute_1",
            kind="dispute.created",
            occurred_at=START,
            processor_type="charge.dispute.created",
            payment_reference=paid.reference,
            dispute_reference="dp_test_1",
            status="needs_response",
            reason="fraudulent",
            respond_by=START + timedelta(days=7),
        )
        disputes.record(session, tenant, paid, event, START)
    with unit_of_work(factory) as session:
        found = session.scalars(select(Dispute).where(Dispute.account_id == merchant.account_id))
        return found.one().id


def sent_invoice(api: Api, world: World | None = None, minutes: int = 1) -> dict[str, Any]:
    """An open invoice of 60.50 RON sent for payment by bank transfer."""
    if world is None:
        world = World(api, START, timezone="UTC", iban=IBAN)
    customer = world.customer(card=None, name="Ion Ionescu", email="ion@example.ro")
    plan = world.plan(5000, code=unique("plan"))
    sub = world.subscribe(customer, plan, collection_method="send_invoice")
    world.advance_to(START + timedelta(minutes=minutes))
    (invoice,) = world.invoices(sub["id"])
    return dict(invoice)


def unmatched_transfer(api: Api, amount: str = "60.50", ref: str = "B-9") -> str:
    """A transfer whose details quote no reference: its bank transaction's id."""
    data = statement(credit(amount, "pentru luna martie", acct_svcr_ref=ref))
    api.ok("POST", "/v1/bank_statements", 201, content=data, headers=XML)
    (waiting,) = api.ok("GET", "/v1/bank_transactions", params={"status": "unmatched"})["data"]
    return str(waiting["id"])


def catalog(api: Api) -> dict[str, str]:
    """One of each catalog object; their ids by kind."""
    product = api.ok("POST", "/v1/products", 201, json={"name": "Norditech CRM"})["id"]
    metric = api.ok(
        "POST",
        "/v1/billable_metrics",
        201,
        json={"code": "api_calls", "name": "API calls", "aggregation": "count"},
    )["id"]
    feature = api.ok(
        "POST", "/v1/features", 201, json={"code": "projects", "name": "Projects", "kind": "limit"}
    )["id"]
    plan = api.ok(
        "POST",
        "/v1/plans",
        201,
        json={
            "product": product,
            "code": "pro-monthly",
            "name": "Pro",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 4900}],
        },
    )["id"]
    add_on = api.ok(
        "POST",
        "/v1/add_ons",
        201,
        json={
            "code": "storage",
            "name": "Extra storage",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 900}],
        },
    )["id"]
    coupon = api.ok(
        "POST", "/v1/coupons", 201, json={"code": "launch-20", "name": "Launch", "percent_off": 20}
    )["id"]
    promotion = api.ok(
        "POST", "/v1/promotion_codes", 201, json={"code": "ACME20", "coupon": coupon}
    )["id"]
    return {
        "products": product,
        "billable_metrics": metric,
        "features": feature,
        "plans": plan,
        "add_ons": add_on,
        "coupons": coupon,
        "promotion_codes": promotion,
    }


def support_request(factory: sessionmaker[Session], merchant: Merchant, api: Api) -> str:
    customer = api.ok("POST", "/v1/customers", 201, json={"name": "Maria Ionescu"})["id"]
    return open_support_request(factory, merchant.account_id, str(customer))


def fill(path: str, factory: sessionmaker[Session], merchant: Merchant, api: Api) -> str:
    """`path` with real ids of the account for the Payments, Catalog and Support pages'
    parameters (the permission tests open each page as each role); only what it names is made."""
    if "{payment_id}" in path or "{dispute_id}" in path:
        payment = paid_payment(api)
        path = path.replace("{payment_id}", payment["id"])
        if "{dispute_id}" in path:
            path = path.replace("{dispute_id}", dispute(factory, merchant, payment))
    if "{transaction_id}" in path:
        path = path.replace("{transaction_id}", unmatched_transfer(api))
    if "{request_id}" in path:
        path = path.replace("{request_id}", support_request(factory, merchant, api))
    if path.startswith("/console/catalog/") and "{" in path:
        ids = catalog(api)
        kind = path.split("/")[3].replace("-", "_")
        path = path.replace("{object_id}", ids[kind])
        path = (
            path[: path.index("{")] + ids[kind] + path[path.index("}") + 1 :]
            if "{" in path
            else path
        )
    return path
