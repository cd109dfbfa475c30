"""Test clocks: a customer attached to one lives at its frozen time; advancing it runs, in
time order, everything that falls due on the way, through the worker's own runner of due
work and the one way to charge: renewals and other subscription work, then the charges (and
dunning retries) due."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura.clock import Clock
from recura.db.models import TestClock
from recura.db.unit_of_work import Units
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import repository as invoices_repository
from recura.domains.payments import collection
from recura.domains.subscriptions import due, notices
from recura.domains.subscriptions import repository as subscriptions_repository
from recura.domains.test_clocks import repository
from recura.domains.test_clocks.schemas import TestClockCreate, TestClockOut
from recura.ids import new_id

# One advance may cover this much time; longer simulations advance in several steps.
MAX_ADVANCE = timedelta(days=2 * 366)
# How many subscriptions, and how many charges, one step of an advance takes: each step is
# one short transaction, so other requests (other tenants' too) get the database between.
STEP = 25
READY, ADVANCING = "ready", "advancing"
# An advance that has not moved its clock for this long has lost its process.
STALE_ADVANCE = timedelta(minutes=5)


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
        status=READY,
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
    return repository.page(session, tenant, limit, starting_after)


def advance(units: Units, tenant: Tenant, clock_id: str, to: datetime, real: Clock) -> TestClock:
    """Move the clock to `to`, running due work at each instant it falls due.

    Each step is a unit of work of its own (a batch of due subscriptions, then the charges
    due at that instant through `charge_now`), and the clock's time moves with each: a long
    advance never holds the database for long, and one that fails stops at a time it can be
    advanced again from. While it runs the clock is `advancing`, and a second advance is
    refused."""
    with units() as session:
        stamp = _begin_advance(session, tenant, clock_id, to, real.now())
    try:
        while (step := _step(units, tenant, clock_id, to, stamp, real.now())) is not None:
            at, stamp = step
            begin = functools.partial(_start_charges, tenant=tenant, clock_id=clock_id, at=at)
            collection.charge_now(units, begin, at, ask=collection.send_or_lookup)
    except BaseException:
        with units() as session:
            _end_advance(session, tenant, clock_id, None, stamp, real.now())
        raise
    with units() as session:
        return _end_advance(session, tenant, clock_id, to, stamp, real.now())


def _locked(session: Session, tenant: Tenant, clock_id: str) -> TestClock:
    clock = get(session, tenant, clock_id)
    repository.lock(session, clock)
    return clock


def _begin_advance(
    session: Session, tenant: Tenant, clock_id: str, to: datetime, now: datetime
) -> datetime:
    """The clock marked `advancing`; returns the stamp each step checks that it still holds
    the clock with (its `updated_at`)."""
    clock = _locked(session, tenant, clock_id)
    # One whose advance died (its process ended mid-way) stops counting as advancing.
    if clock.status == ADVANCING and clock.updated_at > now - STALE_ADVANCE:
        raise ConflictError(
            f"Test clock '{clock.id}' is advancing; advance it again once it is ready."
        )
    if to <= clock.frozen_time:
        raise invalid("/frozen_time", "must be after the clock's current time")
    if to - clock.frozen_time > MAX_ADVANCE:
        raise invalid("/frozen_time", "advance at most two years at a time")
    clock.status = ADVANCING
    clock.updated_at = now
    return now


def _held(session: Session, tenant: Tenant, clock_id: str, stamp: datetime) -> TestClock:
    clock = _locked(session, tenant, clock_id)
    if clock.status != ADVANCING or clock.updated_at != stamp:
        # Taken over, as stale, by another advance: that one goes on from here.
        raise ConflictError(f"Test clock '{clock.id}' is being advanced by another request.")
    return clock


def _step(
    units: Units, tenant: Tenant, clock_id: str, to: datetime, stamp: datetime, now: datetime
) -> tuple[datetime, datetime] | None:
    """The next instant anything falls due, up to `to`: the clock moved there, one batch of
    its due subscriptions run and its renewal notices sent, in one unit of work. Returns
    the instant and the clock's new stamp; None once nothing more is due before `to`."""
    with units() as session:
        clock = _held(session, tenant, clock_id, stamp)
        due_at = [
            subscriptions_repository.next_action_on_clock(session, tenant, clock_id),
            invoices_repository.next_payment_attempt_on_clock(session, tenant, clock_id),
            notices.due_at(session, tenant, clock_id, clock.frozen_time),
        ]
        at = min((d for d in due_at if d is not None), default=None)
        if at is None or at > to:
            return None
        at = max(at, clock.frozen_time)
        run = due.run(session, at, due.OnClock(tenant, clock_id), STEP)
        # Moved after the run: a batch the runner rolls back (to redo it one by one) would
        # take the clock's new time with it.
        clock.frozen_time = at
        clock.updated_at = now = max(now, stamp)
        notices.announce_on_clock(session, tenant, clock_id, at, STEP)
    if run.failed:
        # The worker would retry every RETRY_AFTER for ever; a simulation stops and says so.
        raise ConflictError(
            f"Subscription '{run.failed[0]}' could not be billed at {at.isoformat()}; the"
            " clock stopped there."
        )
    return at, now


def _start_charges(
    session: Session, tenant: Tenant, clock_id: str, at: datetime
) -> list[collection.Pending]:
    """Attempts at one batch of the clock's invoices whose payment is due at `at`; of one
    with an attempt still waiting for the customer, that attempt, to be canceled first, as
    the worker does (`abandon_first`)."""
    due = invoices_repository.payment_due_on_clock(session, tenant, clock_id, at, STEP)
    started, rest = collection.abandon_first(session, [(tenant, i) for i in due], at)
    for _, invoice in rest:
        pending = collection.start(session, tenant, invoice, at)
        if pending is not None:
            started.append(pending)
    return started


def _end_advance(
    session: Session,
    tenant: Tenant,
    clock_id: str,
    to: datetime | None,
    stamp: datetime,
    now: datetime,
) -> TestClock:
    """Ready again: at `to`, or (after a failure) where the last step left it. A clock
    another advance has taken over is left to that one."""
    clock = _locked(session, tenant, clock_id)
    if clock.status != ADVANCING or clock.updated_at != stamp:
        return clock
    if to is not None:
        clock.frozen_time = to
    clock.status = READY
    clock.updated_at = max(now, stamp)
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
