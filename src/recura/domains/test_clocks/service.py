"""Test clocks: a customer attached to one lives at its frozen time; advancing it runs, in
time order, everything that falls due on the way, exactly as the worker would have:
renewals and other subscription work, then the charges (and dunning retries) due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recura.db.models import Customer, Invoice, Subscription, TestClock
from recura.domains.common import lookup
from recura.domains.common.errors import invalid
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant
from recura.domains.payments import collection
from recura.domains.subscriptions import cycle, notices, renewals
from recura.domains.test_clocks.schemas import TestClockCreate, TestClockOut
from recura.ids import new_id

# One advance may cover this much time; longer simulations advance in several steps.
MAX_ADVANCE = timedelta(days=2 * 366)


def _test_mode(tenant: Tenant) -> None:
    if tenant.livemode:
        raise invalid("", "test clocks exist in test mode only; use a rk_test_ key")


def create(session: Session, tenant: Tenant, data: TestClockCreate, now: datetime) -> TestClock:
    _test_mode(tenant)
    clock = TestClock(
        id=new_id("test_clock"),
        **tenant.row_keys(),
        name=data.name,
        frozen_time=data.frozen_time,
        status="ready",
        created_at=now,
        updated_at=now,
    )
    session.add(clock)
    session.flush()
    return clock


def get(session: Session, tenant: Tenant, clock_id: str) -> TestClock:
    return lookup.require(session, tenant, TestClock, clock_id, "test clock")


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[TestClock]:
    return paginate(
        session, tenant.scope(select(TestClock), TestClock), TestClock, limit, starting_after
    )


def advance(
    session: Session, tenant: Tenant, clock_id: str, to: datetime, now: datetime
) -> TestClock:
    """Move the clock to `to`, running due work at each instant it falls due."""
    clock = get(session, tenant, clock_id)
    if to <= clock.frozen_time:
        raise invalid("/frozen_time", "must be after the clock's current time")
    if to - clock.frozen_time > MAX_ADVANCE:
        raise invalid("/frozen_time", "advance at most two years at a time")
    mine = tenant.scope(select(Subscription), Subscription).where(
        Subscription.test_clock_id == clock.id
    )
    on_clock = tenant.scope(select(Customer.id), Customer).where(Customer.test_clock_id == clock.id)
    charges = tenant.scope(select(Invoice), Invoice).where(
        Invoice.customer_id.in_(on_clock.scalar_subquery())
    )
    while True:
        due = [
            session.scalar(mine.with_only_columns(func.min(Subscription.next_action_at))),
            session.scalar(charges.with_only_columns(func.min(Invoice.next_payment_attempt_at))),
            notices.due_at(session, tenant, clock.id, clock.frozen_time),
        ]
        at = min((d for d in due if d is not None), default=None)
        if at is None or at > to:
            break
        at = max(at, clock.frozen_time)
        clock.frozen_time = at
        plain, rest = renewals.split_plain(
            list(session.scalars(mine.where(Subscription.next_action_at <= at))), at
        )
        renewals.renew_many(session, [(b, b) for b in renewals.load(session, plain)], at)
        for sub in rest:
            cycle.run_due(session, tenant, sub, at)
        notices.announce_on_clock(session, tenant, clock.id, at)
        session.flush()
        for invoice in list(session.scalars(charges.where(Invoice.next_payment_attempt_at <= at))):
            pending = collection.start(session, tenant, invoice, at)
            if pending is not None:
                collection.run_inline(session, pending, at)
        session.flush()
    clock.frozen_time = to
    clock.updated_at = now
    return clock


def to_out(clock: TestClock) -> TestClockOut:
    return TestClockOut(
        id=clock.id,
        name=clock.name,
        frozen_time=clock.frozen_time,
        status=clock.status,
        livemode=clock.livemode,
        created_at=clock.created_at,
    )
