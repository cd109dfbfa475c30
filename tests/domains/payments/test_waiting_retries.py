"""A due retry never charges an invoice while an earlier attempt of it still waits for the
customer (a 3-D Secure challenge): the worker cancels that one at the processor first, and
charges only once it is canceled; finished by the customer meanwhile, it pays the invoice;
with no answer, nothing is charged and the invoice is tried again later."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import SandboxCharge
from recura.db.unit_of_work import unit_of_work
from recura.domains.payments import collection
from recura.gateways.base import ChargeResult, GatewayTimeout
from recura.gateways.sandbox import SandboxGateway, book_engine
from recura.jobs.worker import run_once
from tests.conftest import T0, Api, Merchant
from tests.domains.payments.test_unknown_outcomes import (
    attempts,
    charges_booked,
    customer_with_invoice,
)
from tests.fakes.processor_api import ProcessorApi
from tests.own_database import database_url, engine, session_factory
from tests.portal.test_processors import PUBLISHABLE_KEY, connect_stripe
from tests.waiting import PATIENCE

# The worker charges every due invoice it finds: each test has a database of its own.
__all__ = ["database_url", "engine", "session_factory"]

RETRY = T0 + timedelta(days=1)  # the first retry of the default schedule


def collect(factory: sessionmaker[Session], at: datetime) -> None:
    run_once(factory, FixedClock(at), only={"collect_payments", "reconcile_payments"})


def waiting_invoice(api: Api, factory: sessionmaker[Session]) -> str:
    """An invoice whose first attempt waits for the customer's 3-D Secure challenge, its
    retry due at RETRY."""
    _, invoice = customer_with_invoice(api, "tok_sandbox_requires_action")
    collect(factory, T0)
    assert [p["status"] for p in attempts(api, invoice)] == ["requires_action"]
    assert next_attempt(api, invoice) == RETRY
    return invoice


def next_attempt(api: Api, invoice: str) -> datetime | None:
    found = api.ok("GET", f"/v1/invoices/{invoice}")["next_payment_attempt"]
    return None if found is None else datetime.fromisoformat(found)


def payment_failures(api: Api) -> int:
    return len(api.ok("GET", "/v1/events", params={"type": "invoice.payment_failed"})["data"])


def test_the_waiting_attempt_is_canceled_before_the_retry_charges_once(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    invoice = waiting_invoice(api, session_factory)

    collect(session_factory, RETRY)
    # Canceled at the processor in this pass; charged in the next, which starts at once.
    first, *rest = attempts(api, invoice)
    assert (first["status"], first["failure_code"], rest) == ("failed", "canceled", [])
    assert payment_failures(api) == 1  # a cancel is not a failed charge
    assert next_attempt(api, invoice) == RETRY
    collect(session_factory, RETRY)

    first, second = attempts(api, invoice)
    assert (first["status"], first["failure_code"]) == ("failed", "canceled")
    # The stored card asks for a challenge again: one new attempt, waiting as the first did.
    assert (second["attempt"], second["status"]) == (2, "requires_action")
    assert charges_booked(engine, merchant.account_id) == 2
    with Session(book_engine(engine)) as book:
        booked = book.scalars(
            select(SandboxCharge.status)
            .where(SandboxCharge.account_id == merchant.account_id)
            .order_by(SandboxCharge.idempotency_key)
        ).all()
    assert booked == ["canceled", "requires_action"]
    collect(session_factory, RETRY + timedelta(hours=1))
    assert len(attempts(api, invoice)) == 2


def test_a_challenge_finished_before_the_retry_pays_the_invoice_and_nothing_more_is_charged(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    invoice = waiting_invoice(api, session_factory)
    # The customer answers the bank's challenge; the processor has not told us yet.
    with Session(book_engine(engine)) as book, book.begin():
        book.execute(
            update(SandboxCharge)
            .where(SandboxCharge.account_id == merchant.account_id)
            .values(status="succeeded", failure_code=None)
        )

    collect(session_factory, RETRY)
    collect(session_factory, RETRY)

    (payment,) = attempts(api, invoice)
    assert payment["status"] == "succeeded"
    found = api.ok("GET", f"/v1/invoices/{invoice}")
    assert (found["status"], found["next_payment_attempt"]) == ("paid", None)
    assert charges_booked(engine, merchant.account_id) == 1


def test_no_answer_to_the_cancel_charges_nothing_and_the_invoice_is_tried_later(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invoice = waiting_invoice(api, session_factory)
    cancel = SandboxGateway.cancel

    def no_answer(self: SandboxGateway, reference: str) -> ChargeResult:
        raise GatewayTimeout("sandbox: no answer")

    monkeypatch.setattr(SandboxGateway, "cancel", no_answer)
    collect(session_factory, RETRY)
    collect(session_factory, RETRY + timedelta(minutes=1))

    # Not charged, and not retried at once either: the old attempt might still go through.
    assert [p["status"] for p in attempts(api, invoice)] == ["requires_action"]
    assert charges_booked(engine, merchant.account_id) == 1
    later = RETRY + collection.RETRY_LATER
    assert next_attempt(api, invoice) == later
    # Nothing was charged, so no failure is told either.
    assert payment_failures(api) == 1

    # Once the processor answers, the old attempt is canceled and the invoice charged.
    monkeypatch.setattr(SandboxGateway, "cancel", cancel)
    collect(session_factory, later)
    collect(session_factory, later)
    first, second = attempts(api, invoice)
    assert (first["status"], first["failure_code"]) == ("failed", "canceled")
    assert (second["attempt"], second["status"]) == (2, "requires_action")
    assert charges_booked(engine, merchant.account_id) == 2


def test_a_cancel_not_answered_within_the_deadline_charges_nothing(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invoice = waiting_invoice(api, session_factory)
    released = threading.Event()

    def hanging(self: SandboxGateway, reference: str) -> ChargeResult:
        released.wait(PATIENCE)
        raise GatewayTimeout("sandbox: no answer")

    monkeypatch.setattr(SandboxGateway, "cancel", hanging)
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    try:
        collection.collect_due(units, FixedClock(RETRY), deadline=0.2)
    finally:
        released.set()

    assert [p["status"] for p in attempts(api, invoice)] == ["requires_action"]
    assert next_attempt(api, invoice) == RETRY + collection.RETRY_LATER
    assert charges_booked(engine, merchant.account_id) == 1


def stripe_card_needing_3ds(api: Api, client: stripe.StripeClient, customer: str) -> None:
    """Saved as Stripe.js saves it: the bank's challenge passed once, at setup; every
    charge off-session asks for it again."""
    setup = api.ok("POST", f"/v1/customers/{customer}/payment_method_setups", json={})
    params: Any = {
        "type": "card",
        "card": {"number": "4000002760003184", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    }
    method = client.v1.payment_methods.create(params)
    client.v1.setup_intents.confirm(setup["reference"], {"payment_method": method.id})
    assert client.v1.setup_intents.confirm(setup["reference"]).status == "succeeded"
    body = {"gateway": "stripe", "token": setup["reference"]}
    api.ok("POST", f"/v1/customers/{customer}/payment_methods", 201, json=body)


def test_at_stripe_the_waiting_payment_intent_is_canceled_and_authenticating_it_charges_nothing(
    api: Api,
    session_factory: sessionmaker[Session],
    stripe_api: ProcessorApi,
    stripe_client: stripe.StripeClient,
    localstripe: str,
) -> None:
    connect_stripe(api)
    customer = api.ok("POST", "/v1/customers", 201, json={"name": "Ana"})["id"]
    stripe_card_needing_3ds(api, stripe_client, customer)
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    plan = {
        "product": product,
        "code": "pro",
        "name": "Pro",
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 3000}],
    }
    plan_id = api.ok("POST", "/v1/plans", 201, json=plan)["id"]
    api.ok("POST", "/v1/subscriptions", 201, json={"customer": customer, "plan": plan_id})
    (invoice,) = api.ok("GET", "/v1/invoices", params={"customer": customer})["data"]
    collect(session_factory, T0)
    (waiting,) = attempts(api, invoice["id"])
    assert (waiting["gateway"], waiting["status"]) == ("stripe", "requires_action")
    intent = stripe_client.v1.payment_intents.retrieve(waiting["reference"])

    collect(session_factory, RETRY)
    collect(session_factory, RETRY)

    first, second = attempts(api, invoice["id"])
    assert (first["status"], first["failure_code"]) == ("failed", "canceled")
    assert (second["attempt"], second["status"]) == (2, "requires_action")
    assert second["reference"] != intent.id
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "canceled"
    # The bank's page of the first, answered late, can no longer charge the card.
    late = httpx.post(
        f"{localstripe}/v1/payment_intents/{intent.id}/_authenticate",
        params={"success": "true"},
        json={"key": PUBLISHABLE_KEY, "client_secret": intent.client_secret},
    )
    assert late.status_code >= 400 or late.json().get("status") != "succeeded"
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "canceled"
