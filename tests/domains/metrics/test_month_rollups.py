"""The month rollups on both backends against the definition: a random history of MRR
changes (some folded late), folded in small pieces, gives the monthly flows behind churn,
LTV and CAC (with the customers acquired per channel), and the cohorts, exactly as
`core.metrics` defines them over the stored day movements; a rebuild gives the same rows,
after customers change channel too, and a settings change recounts them."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura import ids
from recura.core import metrics
from recura.core.metrics import Movement, MovementType
from recura.db.models import (
    Customer,
    Event,
    MetricRollupDaily,
    MetricRollupMonthly,
    MrrMonthMovement,
    MrrMovement,
)
from recura.db.models.metric_rollup_daily import ALL
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import service as events
from recura.domains.events.payloads import EventType
from recura.domains.metrics import ratios, rollups
from recura.domains.metrics.reads import Granularity
from tests.conftest import Api, Merchant

START = datetime(2025, 1, 3, 12, tzinfo=UTC)
DAYS = 420
PRICES = (0, 1900, 4900, 9900)
CHANNELS = ("google_ads", "newsletter", None)


def changes(
    rng: random.Random, customers: list[str]
) -> list[tuple[datetime, str, str, int, bool, bool]]:
    """(when, customer, subscription, MRR delta, set to end, canceled) of 30 subscriptions
    of the customers, each moving between prices, some set to end at period end."""
    found = []
    for n in range(30):
        customer, sub = rng.choice(customers), f"sub_m{n}"
        at = START + timedelta(days=rng.uniform(0, DAYS))
        mrr = 0
        for _ in range(rng.randrange(1, 6)):
            price = rng.choice(PRICES if mrr else PRICES[1:])
            ending = price > 0 and rng.random() < 0.25
            found.append((at, customer, sub, price - mrr, ending, price == 0))
            mrr = price
            at += timedelta(days=rng.choice([0, 1, 9, 31, 45, 80]))
    return in_order_but_a_few(found)


def in_order_but_a_few(found: list[Any]) -> list[Any]:
    """`found` (tuples starting with when) in time order, but for a few pairs folded out
    of order: a late change is counted on the customer's open day."""
    found.sort(key=lambda c: c[0])
    for index in range(0, len(found) - 1, 7):
        found[index], found[index + 1] = found[index + 1], found[index]
    return found


def seed(api: Api, factory: sessionmaker[Session], tenant: Tenant, rng: random.Random) -> list[str]:
    """12 customers, some with an acquisition channel, and their history's events."""
    customers = []
    for n in range(12):
        channel = rng.choice(CHANNELS)
        body = {"email": f"m{n}@example.ro", "name": f"M {n}"}
        if channel is not None:
            body["acquisition_channel"] = channel
        customers.append(api.ok("POST", "/v1/customers", 201, json=body)["id"])
    add_events(factory, tenant, changes(rng, customers))
    return customers


def add_events(
    factory: sessionmaker[Session],
    tenant: Tenant,
    made: list[tuple[datetime, str, str, int, bool, bool]],
) -> None:
    """The events of `changes`."""
    with unit_of_work(factory) as session:
        for at, customer, sub, delta, ending, canceled in made:
            data = {
                "id": sub,
                "customer": customer,
                "status": "canceled" if canceled else "active",
                "cancel_at_period_end": ending,
            }
            kind = EventType.SUBSCRIPTION_UPDATED
            row = events.json_row(tenant, kind, data, at, mrr_delta=delta, mrr_currency="RON")
            session.add(Event(id=ids.new_id("event"), **row))


def fold_all(factory: sessionmaker[Session], limit: int) -> None:
    while True:
        with unit_of_work(factory) as session:
            if rollups.fold_events(session, limit=limit) == 0:
                return


def day_movements(session: Session, tenant: Tenant) -> list[Movement]:
    rows = session.scalars(
        select(MrrMovement).where(
            MrrMovement.account_id == tenant.account_id, MrrMovement.scope == ALL
        )
    )
    return [
        Movement(r.day, r.customer_id, r.currency, MovementType(r.type), r.amount) for r in rows
    ]


def month_rows(session: Session, tenant: Tenant) -> dict[str, list[tuple[Any, ...]]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    for model in (MrrMovement, MetricRollupDaily, MrrMonthMovement, MetricRollupMonthly):
        rows = session.scalars(select(model).where(model.account_id == tenant.account_id))
        columns = [c.name for c in model.__table__.columns]
        found[model.__tablename__] = sorted(
            tuple(str(getattr(r, c)) for c in columns) for r in rows
        )
    return found


def month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def check_against_the_definition(session: Session, tenant: Tenant) -> None:
    found = day_movements(session, tenant)
    chosen = ratios.account_metrics(session, tenant).settings
    first = min(m.day for m in found).replace(day=1)
    last = max(m.day for m in found)
    whole = ratios.flows(session, tenant, first, last, Granularity.MONTH, "RON")
    assert any(p.netted is None for p in whole)  # read from the monthly totals
    ranges = [
        (first, last, Granularity.MONTH),
        (first + timedelta(days=40), last - timedelta(days=50), Granularity.MONTH),
        (first, first + timedelta(days=120), Granularity.WEEK),
        (first, last, Granularity.DAY),
    ]
    for start, end, granularity in ranges:
        for p in ratios.flows(session, tenant, start, end, granularity, "RON"):
            after = p.end + timedelta(days=1)
            expected, _ = metrics.period_flow(found, "RON", p.start, after, chosen)
            assert p.flow == expected, (p.start, p.end)
            paying = metrics.standings(found, "RON", after)
            assert p.customers_at_end == sum(1 for s in paying.values() if s.mrr > 0)
    channel_of = {
        c.id: c.acquisition_channel
        for c in session.scalars(select(Customer).where(Customer.account_id == tenant.account_id))
    }
    economics = ratios.unit_economics(session, tenant, first, last, "RON")
    assert any(u.channels for u in economics)
    for u in economics:
        _, netted = metrics.period_flow(found, "RON", u.start, u.end + timedelta(days=1), chosen)
        brought: dict[str, int] = {}
        for x in netted:
            channel = channel_of.get(x.customer)
            if x.type is MovementType.NEW and channel is not None:
                brought[channel] = brought.get(channel, 0) + 1
        assert u.acquired == sum(1 for x in netted if x.type is MovementType.NEW)
        assert {c.channel: c.acquired for c in u.channels} == brought
    for until in (last, last - timedelta(days=100), first + timedelta(days=200)):
        rows = ratios.cohorts(session, tenant, first, last, until, "RON")
        expected_cohorts = metrics.cohorts_of(found, "RON", until)
        assert [r.cohort for r in rows] == expected_cohorts


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_month_rollups_equal_the_definition(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], seed_value: int
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    rng = random.Random(seed_value)
    customers = seed(api, session_factory, tenant, rng)
    fold_all(session_factory, limit=rng.choice([3, 7, 50]))
    with unit_of_work(session_factory) as session:
        check_against_the_definition(session, tenant)
        pieces = month_rows(session, tenant)
    with unit_of_work(session_factory) as session:
        rollups.rebuild(session, tenant)
    with unit_of_work(session_factory) as session:
        assert month_rows(session, tenant) == pieces
    # Customers change channel: their new business is counted under the new one.
    changed = ("referral", None, "newsletter", "google_ads")
    for customer, channel in zip(customers[:4], changed, strict=True):
        api.ok("PATCH", f"/v1/customers/{customer}", json={"acquisition_channel": channel})
    with unit_of_work(session_factory) as session:
        check_against_the_definition(session, tenant)
        moved = month_rows(session, tenant)
    with unit_of_work(session_factory) as session:
        rollups.rebuild(session, tenant)
    with unit_of_work(session_factory) as session:
        assert month_rows(session, tenant) == moved
    # A folded setting changed: the account's month rollups are recounted with it.
    settings = {"churn_timing": "cancellation", "reactivation_window_days": 20}
    api.ok("PATCH", "/v1/account", json={"metric_settings": settings})
    with unit_of_work(session_factory) as session:
        check_against_the_definition(session, tenant)
        assert month_rows(session, tenant) != moved
