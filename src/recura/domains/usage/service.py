"""Ingest usage events and report what a customer's usage costs in the current period.

A batch is validated as a whole before anything is written: every bad event is reported
with its pointer, and a batch with any bad event stores nothing, so the sender can fix and
resend it as it is. Events already stored (same transaction_id) are not errors: they are
dropped and named in the receipt, which is what makes retries safe.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy.orm import Session

from recura.core.pricing import price
from recura.db.models import BillableMetric, MeteredCharge, Subscription
from recura.domains.common.errors import FieldError, InvalidError, NotFoundError
from recura.domains.common.fields import money_out
from recura.domains.common.prices import stored_spec
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.engagement import activity
from recura.domains.plans import repository as plans
from recura.domains.usage import repository
from recura.domains.usage.aggregation import aggregate
from recura.domains.usage.repository import EventRow
from recura.domains.usage.schemas import (
    ChargeUsageOut,
    CustomerUsageOut,
    SubscriptionUsageOut,
    UsageEventBatchOut,
    UsageEventsCreate,
)

__all__ = ["aggregate", "customer_usage", "ingest"]

# Clocks drift; a sender a little ahead of us is not sending the future.
FUTURE_SLACK = timedelta(minutes=5)
# Without a billing period to close, how far back a customer's events are still taken.
MAX_AGE_WITHOUT_PERIOD = timedelta(days=35)


def ingest(
    session: Session, tenant: Tenant, body: UsageEventsCreate, now: datetime
) -> UsageEventBatchOut:
    events = body.events
    where = "/events/{}" if body.is_batch else ""
    # PostgreSQL text cannot hold NUL; one pass finds out whether any event has one.
    if any("\x00" in e.transaction_id or "\x00" in e.customer for e in events):
        raise InvalidError(
            [
                FieldError(f"{where.format(index)}/{name}", "must not contain NUL characters")
                for index, event in enumerate(events)
                for name in ("transaction_id", "customer")
                if "\x00" in getattr(event, name)
            ]
        )
    floors = repository.period_floors(session, tenant, list({e.customer for e in events}))
    # Aware datetimes with different tzinfo objects compare by calling utcoffset() on both,
    # much slower than with the same one (bench/README.md): the bounds take the zone of the events'
    # times (pydantic gives all the times in one offset the same tzinfo).
    zone = next((e.timestamp.tzinfo for e in events if e.timestamp is not None), None) or UTC
    windows = {
        customer: _window(floor, clock_time, now, zone)
        for customer, (floor, clock_time) in floors.items()
    }
    # Runs once per event: only what every event needs; the error paths work out the rest.
    rows: list[EventRow] = []
    firsts: list[int] = []  # the index of each row's event
    dropped: list[int] = []  # repeats of a transaction id earlier in the request
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, event in enumerate(events):
        customer = event.customer
        window = windows.get(customer)
        if window is None:
            here = where.format(index)
            errors.append(FieldError(f"{here}/customer", f"no customer with id '{customer}'"))
            continue
        present, earliest, latest = window
        timestamp = event.timestamp or present
        transaction_id = event.transaction_id
        if not earliest <= timestamp <= latest:
            problem = _timestamp_problem(timestamp, floors[customer][0], present)
            errors.append(FieldError(f"{where.format(index)}/timestamp", problem))
        elif transaction_id in seen:
            dropped.append(index)
        else:
            seen.add(transaction_id)
            firsts.append(index)
            rows.append(EventRow(customer, event.code, transaction_id, timestamp, event.properties))
    if errors:
        noun = "event is" if len(errors) == 1 else "events are"
        raise InvalidError(errors, f"{len(errors)} {noun} invalid; no event was stored.")
    skipped = repository.insert_events(session, tenant, rows, now) if rows else set()
    if skipped:
        dropped += [i for i, row in zip(firsts, rows, strict=True) if row.transaction_id in skipped]
    # Usage is activity: one more statement per batch, of a row per (customer, day, code).
    activity.from_usage(
        session,
        tenant,
        ((r.customer_id, r.code, r.timestamp) for r in rows if r.transaction_id not in skipped),
        now,
    )
    return UsageEventBatchOut(
        received=len(events),
        ingested=len(rows) - len(skipped),
        # In the order sent, so a sender can match the list against its own.
        duplicates=[events[i].transaction_id for i in sorted(dropped)],
    )


def _window(
    floor: datetime | None, clock_time: datetime | None, now: datetime, zone: tzinfo
) -> tuple[datetime, datetime, datetime]:
    """A customer's present (its test clock's time, if it has one), and the earliest and the
    latest times its events may have: from the start of the current period (or 35 days
    back without one) until a little after the present. All in `zone`."""
    present = (now if clock_time is None else clock_time).astimezone(zone)
    earliest = floor or present - MAX_AGE_WITHOUT_PERIOD
    return present, earliest.astimezone(zone), present + FUTURE_SLACK


def _timestamp_problem(timestamp: datetime, floor: datetime | None, now: datetime) -> str:
    """Why an event at `timestamp` cannot be taken; `floor` is the current period's start."""
    if timestamp > now + FUTURE_SLACK:
        return "is more than 5 minutes in the future"
    if floor is not None:
        return (
            f"is before {floor.isoformat()}, the start of the customer's current billing "
            "period: the period it belongs to is closed"
        )
    return "is more than 35 days old (the customer has no current billing period)"


def customer_usage(
    session: Session, tenant: Tenant, customer_id: str, now: datetime
) -> CustomerUsageOut:
    """Each live subscription's metered charges over its current period so far, priced now."""
    if customers.get(session, tenant, customer_id) is None:
        raise NotFoundError("customer", customer_id)
    subscriptions = repository.live_subscriptions(session, tenant, customer_id)
    charges = plans.charges(session, tenant, list({s.plan_version_id for s in subscriptions}))
    return CustomerUsageOut(
        customer=customer_id,
        subscriptions=[
            _subscription_usage(session, tenant, s, charges.get(s.plan_version_id, []))
            for s in subscriptions
        ],
    )


def _subscription_usage(
    session: Session,
    tenant: Tenant,
    subscription: Subscription,
    charges: list[tuple[MeteredCharge, BillableMetric]],
) -> SubscriptionUsageOut:
    currency = subscription.currency
    start, end = subscription.current_period_start, subscription.current_period_end
    lines: list[ChargeUsageOut] = []
    for charge, metric in charges:
        quantity = aggregate(session, tenant, metric, [subscription.customer_id], start, end)[
            subscription.customer_id
        ]
        spec = stored_spec(charge.pricing_model, charge.prices, currency)
        # A negative sum (corrections larger than the usage) costs nothing, it is no credit.
        amount = None if spec is None else price(spec, max(quantity, Decimal(0))).total.minor
        lines.append(
            ChargeUsageOut(
                charge=charge.id,
                billable_metric=metric.id,
                code=metric.code,
                aggregation=metric.aggregation,
                quantity=quantity,
                amount=None if amount is None else money_out(amount, currency),
            )
        )
    total = sum(line.amount.amount for line in lines if line.amount is not None)
    return SubscriptionUsageOut(
        subscription=subscription.id,
        status=subscription.status,
        current_period_start=start,
        current_period_end=end,
        charges=lines,
        total=money_out(total, currency),
    )
