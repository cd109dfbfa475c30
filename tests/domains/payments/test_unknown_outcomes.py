"""No answer from the processor never charges twice: the attempt stays `unknown` (or
`processing` after a crash), no new attempt starts, and the reconciler settles it under the
attempt's own key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from recura import staged
from recura.clock import FixedClock
from recura.db.models import Invoice, SandboxCharge
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.payments import collection, reconcile
from recura.gateways.sandbox import book_engine
from recura.jobs.worker import run_once
from tests.conftest import T0, Api, Merchant
from tests.own_database import database_url, engine, session_factory

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]


def customer_with_invoice(api: Api, card: str) -> tuple[str, str]:
    """A customer (no test clock: the worker charges it) and its first invoice, open."""
    customer = api.ok("POST", "/v1/customers", 201, json={"name": "Ion"})["id"]
    body = {"gateway": "sandbox", "token": card}
    api.ok("POST", f"/v1/customers/{customer}/payment_methods", 201, json=body)
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    plan = {
        "product": product,
        "code": f"p-{customer[-6:].lower()}",
        "name": "Pro",
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 3000}],
    }
    plan_id = api.ok("POST", "/v1/plans", 201, json=plan)["id"]
    sub = api.ok("POST", "/v1/subscriptions", 201, json={"customer": customer, "plan": plan_id})
    invoice = api.ok("GET", "/v1/invoices", params={"subscription": sub["id"]})["data"][0]
    return customer, invoice["id"]


def attempts(api: Api, invoice: str) -> list[dict[str, Any]]:
    return list(reversed(api.ok("GET", "/v1/payments", params={"invoice": invoice})["data"]))


def charges_booked(engine: Engine, account_id: str) -> int:
    with Session(book_engine(engine)) as session:
        stmt = select(func.count()).where(
            SandboxCharge.account_id == account_id, ~SandboxCharge.method.startswith("refund:")
        )
        return session.scalar(stmt) or 0


def test_a_timeout_after_success_is_settled_by_asking_not_by_charging_again(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    _, invoice = customer_with_invoice(api, "tok_sandbox_timeout_after_success")
    run_once(session_factory, FixedClock(T0))
    (payment,) = attempts(api, invoice)
    assert payment["status"] == "unknown"
    assert api.ok("GET", f"/v1/invoices/{invoice}")["status"] == "open"
    # Neither the collector nor a person can start a second attempt meanwhile.
    run_once(session_factory, FixedClock(T0 + timedelta(seconds=30)))
    assert len(attempts(api, invoice)) == 1
    response = api.post(f"/v1/invoices/{invoice}/pay", json={})
    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]
    # A minute later the reconciler asks the sandbox, which did charge.
    run_once(session_factory, FixedClock(T0 + timedelta(minutes=2)))
    (payment,) = attempts(api, invoice)
    assert (payment["status"], payment["reference"] is not None) == ("succeeded", True)
    assert api.ok("GET", f"/v1/invoices/{invoice}")["status"] == "paid"
    assert charges_booked(engine, merchant.account_id) == 1


def test_a_timeout_before_arrival_stays_unknown_and_is_never_charged_anew(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    _, invoice = customer_with_invoice(api, "tok_sandbox_timeout")
    run_once(session_factory, FixedClock(T0))
    assert [p["status"] for p in attempts(api, invoice)] == ["unknown"]
    assert charges_booked(engine, merchant.account_id) == 0
    # The sandbox's "timeout" card never answers, so the repeat (same key) times out too.
    run_once(session_factory, FixedClock(T0 + timedelta(minutes=2)))
    (payment,) = attempts(api, invoice)
    assert (payment["status"], payment["attempt"]) == ("unknown", 1)
    assert charges_booked(engine, merchant.account_id) == 0


def test_a_crash_between_recording_and_sending_is_settled_under_the_recorded_key(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    _, invoice_id = customer_with_invoice(api, "tok_sandbox_visa")
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(session_factory) as session:
        invoice = session.get_one(Invoice, (merchant.account_id, invoice_id))
        pending = collection.start(session, tenant, invoice, T0)
    assert pending is not None  # committed; the process "dies" before sending
    (payment,) = attempts(api, invoice_id)
    assert payment["status"] == "processing"
    # Too early: the attempt's worker may still be alive.
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    assert reconcile.reconcile_unsettled(units, FixedClock(T0 + timedelta(minutes=1))) == 0
    reconcile.reconcile_unsettled(units, FixedClock(T0 + staged.CLAIM_EXPIRES))
    (payment,) = attempts(api, invoice_id)
    assert payment["status"] == "succeeded"
    assert charges_booked(engine, merchant.account_id) == 1
    with Session(book_engine(engine)) as session:
        keys = session.scalars(
            select(SandboxCharge.idempotency_key).where(
                SandboxCharge.account_id == merchant.account_id
            )
        ).all()
    assert keys == [collection.idempotency_key(invoice_id, 1)]


def test_the_same_key_twice_books_one_charge(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    _, invoice_id = customer_with_invoice(api, "tok_sandbox_visa")
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(session_factory) as session:
        invoice = session.get_one(Invoice, (merchant.account_id, invoice_id))
        pending = collection.start(session, tenant, invoice, T0)
    assert pending is not None
    first, second = collection.send(pending), collection.send(pending)
    assert first is not None
    assert second is not None
    assert first.reference == second.reference
    assert charges_booked(engine, merchant.account_id) == 1
