"""Chaos on PostgreSQL: 1,000 renewals charged through a sandbox that times out at random
(before the charge reaches its book, or after it has charged), a worker killed while it is
charging, two more racing over what is left, then the reconciler settling every attempt
whose outcome was lost. Every invoice that can be paid ends paid exactly once; every
charge the processor made is one of our attempts; none is left unsettled."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from recura import staged
from recura.clock import FixedClock
from recura.db.models import (
    BalanceEntry,
    Event,
    GatewayConnection,
    Invoice,
    Payment,
    PaymentMethod,
    SandboxCharge,
    Subscription,
)
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.payments import collection, methods, outcomes, reconcile
from recura.gateways.sandbox import book_engine
from recura.ids import new_id
from recura.jobs.worker import STAGED, run_once
from tests.factories import seed_due_subscriptions
from tests.fakes.worker_process import finish, start_worker, wait_while_running

pytestmark = pytest.mark.slow

SUBSCRIPTIONS = 1_000
TIMEOUT_RATE = 0.3
# Customer n pays with CARDS[n % 10]: most cards pay, one in ten times out after charging
# on every attempt, one in ten is declined (dunning).
CARDS = [
    *["tok_sandbox_visa"] * 7,
    "tok_sandbox_mastercard",
    "tok_sandbox_timeout_after_success",
    "tok_sandbox_insufficient_funds",
]
KILL_AFTER_CHARGES = 150  # the doomed worker dies once the sandbox has booked this many


def race(database_url: str, at: datetime | None = None) -> None:
    racers = [start_worker(database_url, at) for _ in range(2)]
    for racer in racers:
        output = finish(racer)
        # The payment handlers ran to the end (a -1 is one that raised).
        for name in STAGED:
            assert f"{name}: -1" not in output, output


def booked(engine: Engine, account_id: str) -> list[SandboxCharge]:
    with Session(book_engine(engine)) as session:
        stmt = select(SandboxCharge).where(SandboxCharge.account_id == account_id)
        return list(session.scalars(stmt))


def count_booked(engine: Engine, account_id: str) -> int:
    with Session(book_engine(engine)) as session:
        stmt = select(func.count()).where(SandboxCharge.account_id == account_id)
        return session.scalar(stmt) or 0


def unsettled(
    factory: sessionmaker[Session], account_id: str, statuses: tuple[str, ...] = outcomes.UNSETTLED
) -> int:
    with unit_of_work(factory) as session:
        stmt = select(func.count()).where(
            Payment.account_id == account_id, Payment.status.in_(statuses)
        )
        return session.scalar(stmt) or 0


def due_now(factory: sessionmaker[Session], account_id: str) -> int:
    with unit_of_work(factory) as session:
        stmt = select(func.count()).where(
            Invoice.account_id == account_id,
            Invoice.next_payment_attempt_at <= datetime.now(UTC),
        )
        return session.scalar(stmt) or 0


def kill_while_charging(doomed: subprocess.Popen[bytes], engine: Engine, account_id: str) -> None:
    wait_while_running(
        doomed,
        lambda: count_booked(engine, account_id) >= KILL_AFTER_CHARGES,
        f"the sandbox had booked {KILL_AFTER_CHARGES} charges",
    )
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()


def settle(
    factory: sessionmaker[Session], database_url: str, account_id: str, since: datetime
) -> datetime:
    """Run the reconciler until no attempt is unsettled: first two worker processes at once,
    when even a crashed worker's attempts are stale, then this process, a little later each
    round (an unknown attempt is asked about again a minute after it was last asked).
    Returns the time it was done."""
    later = since + staged.CLAIM_EXPIRES + timedelta(minutes=1)
    race(database_url, later)
    for _ in range(30):
        if not unsettled(factory, account_id):
            return later
        later += reconcile.ASK_AGAIN_AFTER
        run_once(factory, FixedClock(later))
    pytest.fail("attempts still unsettled after 30 rounds")


@pytest.mark.postgres
def test_timeouts_and_a_killed_worker_charge_each_invoice_once(
    session_factory: sessionmaker[Session], engine: Engine, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("racing worker processes are a PostgreSQL matter; SQLite has one writer")
    end = datetime.now(UTC) - timedelta(hours=1)
    account_id = seed_due_subscriptions(
        session_factory, SUBSCRIPTIONS, (end - timedelta(days=30), end), metered=False, cards=CARDS
    )
    with unit_of_work(session_factory) as session:
        session.add(
            GatewayConnection(
                id=new_id("gateway_connection"),
                account_id=account_id,
                livemode=False,
                gateway="sandbox",
                config={"timeout_rate": TIMEOUT_RATE},
                created_at=end,
                updated_at=end,
            )
        )

    # 1. A worker renews everything, starts charging, and is killed mid-batch: the attempts
    # of its batch stay `processing`, some of them charged, some never sent.
    doomed = start_worker(database_url)
    kill_while_charging(doomed, engine, account_id)
    killed_at = datetime.now(UTC)
    orphaned = unsettled(session_factory, account_id, ("processing",))
    assert orphaned > 0

    # 2. Two workers race over the rest; the timeouts leave attempts `unknown`. The killed
    # worker's attempts are too recent to be thought lost: nobody touches them yet. Their
    # clock stays at the kill however long they take (on a busy machine, longer than
    # collection.STALE_AFTER).
    race(database_url, killed_at)
    assert due_now(session_factory, account_id) == 0
    assert unsettled(session_factory, account_id, ("processing",)) == orphaned
    assert unsettled(session_factory, account_id, ("unknown",)) > 0

    # 3. Later, racing reconcilers ask about every unsettled attempt (resending, under its
    # own key, what never arrived: it may time out again), until all are settled.
    later = settle(session_factory, database_url, account_id, datetime.now(UTC))

    # 4. Half the declined customers save a new card: their invoices are tried again at
    # once (attempt 2), through the same timeouts, and settled in turn.
    with unit_of_work(session_factory) as session:
        stmt = (
            select(Invoice.customer_id)
            .where(Invoice.account_id == account_id, Invoice.first_failed_at.is_not(None))
            .order_by(Invoice.customer_id)
        )
        fixing = session.scalars(stmt).all()[::2]
        tenant = Tenant(account_id, livemode=False)
        for customer_id in fixing:
            methods.attach(session, tenant, customer_id, "sandbox", "tok_sandbox_visa", True, later)
    assert fixing
    race(database_url, later)
    settle(session_factory, database_url, account_id, later)

    with unit_of_work(session_factory) as session:
        saved = select(PaymentMethod.customer_id, PaymentMethod.reference).where(
            PaymentMethod.account_id == account_id
        )
        cards: dict[str, list[str]] = defaultdict(list)
        for customer_id, reference in session.execute(saved):
            cards[customer_id].append(reference)
        renewals = list(
            session.scalars(
                select(Invoice).where(
                    Invoice.account_id == account_id, Invoice.reason == "subscription_cycle"
                )
            )
        )
        payments = list(session.scalars(select(Payment).where(Payment.account_id == account_id)))
        events = Counter(
            session.execute(
                select(Event.type, Event.object_id).where(
                    Event.account_id == account_id,
                    Event.type.in_(("payment.succeeded", "payment.failed", "invoice.paid")),
                )
            ).all()
        )
        statuses_of = dict(
            session.execute(
                select(Subscription.id, Subscription.status).where(
                    Subscription.account_id == account_id
                )
            ).all()
        )
        balance_entries = session.scalar(
            select(func.count()).where(BalanceEntry.account_id == account_id)
        )
    charges = booked(engine, account_id)

    assert len(renewals) == SUBSCRIPTIONS
    by_invoice: dict[str, list[Payment]] = defaultdict(list)
    for payment in payments:
        by_invoice[payment.invoice_id].append(payment)
    charges_by_key = {c.idempotency_key: c for c in charges}
    payments_by_key = {p.idempotency_key: p for p in payments}
    assert len(payments_by_key) == len(payments)
    # Every charge the processor made is one of our attempts, under its key and amount.
    assert set(charges_by_key) <= set(payments_by_key)
    for key, charge in charges_by_key.items():
        assert charge.amount == payments_by_key[key].amount
    assert not [p.id for p in payments if p.status in outcomes.UNSETTLED]
    # Nothing was paid twice, so nothing went to a customer's balance.
    assert balance_entries == 0
    for payment in payments:
        kind = "payment.succeeded" if payment.status == "succeeded" else "payment.failed"
        assert events[kind, payment.id] == 1

    declined = fixed = 0
    for invoice in renewals:
        attempts = sorted(by_invoice[invoice.id], key=lambda p: p.attempt or 0)
        assert [p.attempt for p in attempts] == list(range(1, len(attempts) + 1))
        assert invoice.attempt_count == len(attempts)
        for attempt in attempts:
            key = collection.idempotency_key(invoice.id, attempt.attempt or 0)
            assert attempt.idempotency_key == key
            # Each attempt settled as the processor's book says.
            charge = charges_by_key.get(key)
            assert charge is not None, f"attempt {attempt.id} settled without being charged"
            assert (attempt.status, attempt.reference) == (charge.status, charge.reference)
        statuses = [p.status for p in attempts]
        won = [charges_by_key[p.idempotency_key or ""] for p in attempts if p.status == "succeeded"]
        methods_saved = cards[invoice.customer_id]
        if any("_decline_" in m for m in methods_saved):
            assert {p.failure_code for p in attempts if p.status == "failed"} == {
                "insufficient_funds"
            }
        if len(methods_saved) == 1 and "_decline_" in methods_saved[0]:
            # Declined, and still waiting: its retry is planned a day after the failure.
            declined += 1
            assert statuses == ["failed"]
            assert (invoice.status, invoice.amount_paid) == ("open", 0)
            assert events["invoice.paid", invoice.id] == 0
            assert invoice.first_failed_at is not None
            assert invoice.next_payment_attempt_at == invoice.first_failed_at + timedelta(days=1)
            assert statuses_of[invoice.subscription_id] == "past_due"
            continue
        if len(methods_saved) == 2:
            fixed += 1
            assert statuses == ["failed", "succeeded"]
        else:
            assert statuses == ["succeeded"]
        assert (invoice.status, invoice.amount_paid) == ("paid", invoice.total)
        assert invoice.next_payment_attempt_at is None
        assert events["invoice.paid", invoice.id] == 1
        assert statuses_of[invoice.subscription_id] == "active"
        (charge,) = won
        assert charge.amount == invoice.total
    assert (declined, fixed) == (SUBSCRIPTIONS // len(CARDS) - len(fixing), len(fixing))
    assert sum(c.status == "succeeded" for c in charges) == SUBSCRIPTIONS - declined
