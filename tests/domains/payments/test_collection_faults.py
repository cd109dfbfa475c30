"""A processor client that fails in a way it does not report (neither refused nor timed
out: a dropped database connection under the sandbox's book, a bug in a client library)
leaves that one attempt `unknown`, to be asked about; the rest of the batch is still sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from recura import staged
from recura.clock import FixedClock
from recura.db.models import Invoice, Payment, PaymentMethod
from recura.db.unit_of_work import unit_of_work
from recura.domains.payments import collection, reconcile
from recura.gateways.base import ChargeRequest, ChargeResult
from recura.gateways.sandbox import SandboxGateway
from tests.conftest import T0, Api, Merchant
from tests.domains.payments.test_unknown_outcomes import charges_booked, customer_with_invoice
from tests.own_database import database_url, engine, session_factory

# Each test has a database of its own: the collector charges every due invoice it finds, and
# its batch's order (and clock readings) must hold only this test's.
__all__ = ["database_url", "engine", "session_factory"]


def statuses(factory: sessionmaker[Session], account_id: str) -> dict[str, list[str]]:
    with unit_of_work(factory) as session:
        stmt = select(Payment.invoice_id, Payment.status).where(Payment.account_id == account_id)
        found: dict[str, list[str]] = {}
        for invoice_id, status in session.execute(stmt.order_by(Payment.attempt)):
            found.setdefault(invoice_id, []).append(status)
        return found


def test_an_unexpected_error_while_charging_leaves_that_attempt_unknown_and_the_rest_sent(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invoices = [customer_with_invoice(api, "tok_sandbox_visa")[1] for _ in range(3)]
    broken = invoices[1]
    charge, lookup = SandboxGateway.charge, SandboxGateway.lookup

    def failing_charge(self: SandboxGateway, request: ChargeRequest) -> ChargeResult:
        if request.metadata["recura_invoice"] == broken:
            raise RuntimeError("server closed the connection unexpectedly")
        return charge(self, request)

    def failing_lookup(self: SandboxGateway, *args: Any) -> ChargeResult:
        raise RuntimeError("server closed the connection unexpectedly")

    monkeypatch.setattr(SandboxGateway, "charge", failing_charge)
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    collection.collect_due(units, FixedClock(T0))
    expected = {invoice: ["succeeded"] for invoice in invoices} | {broken: ["unknown"]}
    assert statuses(session_factory, merchant.account_id) == expected

    # Asking fails the same way: the attempt stays unknown, and the reconciler goes on.
    monkeypatch.setattr(SandboxGateway, "lookup", failing_lookup)
    assert reconcile.reconcile_unsettled(units, FixedClock(T0 + timedelta(minutes=2))) >= 1
    assert statuses(session_factory, merchant.account_id) == expected

    # Once the processor answers, the attempt is settled under its own key: charged once.
    monkeypatch.setattr(SandboxGateway, "charge", charge)
    monkeypatch.setattr(SandboxGateway, "lookup", lookup)
    reconcile.reconcile_unsettled(units, FixedClock(T0 + timedelta(minutes=4)))
    paid = {invoice: ["succeeded"] for invoice in invoices}
    assert statuses(session_factory, merchant.account_id) == paid
    assert charges_booked(engine, merchant.account_id) == 3


class TickingClock:
    """Each reading two minutes later: a batch whose processor takes its time."""

    def __init__(self) -> None:
        self.readings = 0

    def now(self) -> datetime:
        self.readings += 1
        return T0 + timedelta(minutes=2 * self.readings)


def test_a_batch_running_late_leaves_what_it_cannot_send_in_time_to_the_reconciler(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    # Sent after its claim had expired, an attempt could go out twice at once: from this
    # batch and from a reconciler that took it for abandoned. So a batch sends an attempt
    # only if its deadline falls before the claim expires; the rest wait for the rule.
    for _ in range(3):
        customer_with_invoice(api, "tok_sandbox_visa")
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    clock = TickingClock()  # claimed at T0 + 2 min; the third is due to go at T0 + 8 min
    claimed_at = T0 + timedelta(minutes=2)
    assert collection.collect_due(units, clock) == 3  # type: ignore[arg-type]
    found = sorted(
        s for attempts in statuses(session_factory, merchant.account_id).values() for s in attempts
    )
    assert found == ["processing", "succeeded", "succeeded"]
    assert charges_booked(engine, merchant.account_id) == 2

    # Its claim has not expired: nobody touches it. Then the reconciler asks the processor,
    # which has not seen it, and sends it under the attempt's own key: charged once.
    just_before = claimed_at + staged.CLAIM_EXPIRES - timedelta(seconds=1)
    assert reconcile.reconcile_unsettled(units, FixedClock(just_before)) == 0
    assert reconcile.reconcile_unsettled(units, FixedClock(claimed_at + staged.CLAIM_EXPIRES)) == 1
    found = [
        s for attempts in statuses(session_factory, merchant.account_id).values() for s in attempts
    ]
    assert found == ["succeeded"] * 3
    assert charges_booked(engine, merchant.account_id) == 3


def test_a_charge_that_cannot_start_waits_and_the_rest_of_its_batch_starts(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    # The batch starts its charges together; when one cannot start (its processor is not
    # connected), they start one by one and only that one waits.
    pairs = [customer_with_invoice(api, "tok_sandbox_visa") for _ in range(3)]
    broken_customer, broken_invoice = pairs[1]
    with unit_of_work(session_factory) as session:
        session.execute(
            update(PaymentMethod)
            .where(
                PaymentMethod.account_id == merchant.account_id,
                PaymentMethod.customer_id == broken_customer,
            )
            .values(gateway="paypal")
        )
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    assert collection.collect_due(units, FixedClock(T0)) == 3
    paid = {invoice: ["succeeded"] for _, invoice in pairs if invoice != broken_invoice}
    assert statuses(session_factory, merchant.account_id) == paid
    with unit_of_work(session_factory) as session:
        invoice = session.get_one(Invoice, (merchant.account_id, broken_invoice))
        assert invoice.status == "open"
        assert invoice.attempt_count == 0
        assert invoice.next_payment_attempt_at == T0 + collection.RETRY_LATER
