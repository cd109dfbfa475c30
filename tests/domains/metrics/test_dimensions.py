"""The metrics filtered by the customers' country and acquisition channel, on both
backends, against the definition: a random history folded in pieces, with customers
changing country and channel midway (before some of their changes are folded), gives
for each filter the flows, customers acquired per channel, cohorts, MRR and movements
that `core.metrics` gives over the chosen customers' stored day movements; and a
rebuild gives the same rows as the incremental fold."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.core import metrics
from recura.core.metrics import Movement, MovementType
from recura.db.models import Customer
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.metrics import ratios, reads, rollups
from recura.domains.metrics.reads import Granularity
from recura.domains.metrics.repository import Segment
from tests.conftest import Api, Merchant
from tests.domains.metrics.test_month_rollups import (
    add_events,
    changes,
    day_movements,
    fold_all,
    month_rows,
)

COUNTRIES = ("RO", "DE", None)
CHANNELS = ("google_ads", "newsletter", None)
FILTERS = [
    (country, channel)
    for country in ("RO", "DE", None)
    for channel in ("google_ads", "newsletter", None)
    if (country, channel) != (None, None)
]


def seed(api: Api, factory: sessionmaker[Session], tenant: Tenant, rng: random.Random) -> list[str]:
    """12 customers of random countries and channels (some without), and their events."""
    customers = []
    for n in range(12):
        body = {"email": f"d{n}@example.ro", "name": f"D {n}"}
        country, channel = rng.choice(COUNTRIES), rng.choice(CHANNELS)
        if country is not None:
            body["country"] = country
        if channel is not None:
            body["acquisition_channel"] = channel
        customers.append(api.ok("POST", "/v1/customers", 201, json=body)["id"])
    add_events(factory, tenant, changes(rng, customers))
    return customers


def fold_some(factory: sessionmaker[Session], batches: int, limit: int) -> None:
    for _ in range(batches):
        with unit_of_work(factory) as session:
            rollups.fold_events(session, limit=limit)


def attributes(session: Session, tenant: Tenant) -> dict[str, tuple[str | None, str | None]]:
    rows = session.scalars(select(Customer).where(Customer.account_id == tenant.account_id))
    return {c.id: (c.country, c.acquisition_channel) for c in rows}


def check_filtered(
    session: Session, tenant: Tenant, country: str | None, channel: str | None
) -> None:
    """Every filtered read equals the definition over the chosen customers' movements."""
    everyone = day_movements(session, tenant)
    now_in = attributes(session, tenant)
    chosen_ones = {
        c
        for c, (of, by) in now_in.items()
        if (country is None or of == country) and (channel is None or by == channel)
    }
    found = [m for m in everyone if m.customer in chosen_ones]
    segment = Segment(country, channel)
    first = min(m.day for m in everyone).replace(day=1)
    last = max(m.day for m in everyone)
    check_segment(session, tenant, segment, found, first, last)
    chosen = ratios.account_metrics(session, tenant).settings
    economics = ratios.unit_economics(session, tenant, first, last, "RON", segment)
    for u in economics:
        _, netted = metrics.period_flow(found, "RON", u.start, u.end + timedelta(days=1), chosen)
        brought: dict[str, int] = defaultdict(int)
        for x in netted:
            by = now_in[x.customer][1]
            if x.type is MovementType.NEW and by is not None:
                brought[by] += 1
        assert u.acquired == sum(1 for x in netted if x.type is MovementType.NEW)
        assert {c.channel: c.acquired for c in u.channels if c.acquired} == dict(brought)


def check_segment(
    session: Session,
    tenant: Tenant,
    segment: Segment,
    found: list[Movement],
    first: date,
    last: date,
) -> None:
    """The flows, cohorts, MRR and movements read for `segment` equal the definitions
    over `found`, its movements, in ranges from `first` to `last`."""
    chosen = ratios.account_metrics(session, tenant).settings
    ranges = [
        (first, last, Granularity.MONTH),
        (first + timedelta(days=40), last - timedelta(days=50), Granularity.MONTH),
        (first, first + timedelta(days=120), Granularity.WEEK),
        (first + timedelta(days=30), first + timedelta(days=150), Granularity.DAY),
    ]
    for start, end, granularity in ranges:
        points = ratios.flows(session, tenant, start, end, granularity, "RON", segment)
        for p in points:
            after = p.end + timedelta(days=1)
            expected, _ = metrics.period_flow(found, "RON", p.start, after, chosen)
            assert p.flow == expected, (segment, p.start, p.end)
            paying = metrics.standings(found, "RON", after)
            assert p.customers_at_end == sum(1 for s in paying.values() if s.mrr > 0)
    for until in (last, last - timedelta(days=100), first + timedelta(days=200)):
        rows = ratios.cohorts(session, tenant, first, last, until, "RON", segment)
        assert [r.cohort for r in rows] == metrics.cohorts_of(found, "RON", until)
    points = reads.mrr(session, tenant, first, last, Granularity.MONTH, "RON", None, segment)
    for p in points:
        inside = [m for m in found if p.start <= m.day <= p.end]
        assert p.mrr == sum(m.amount for m in found if m.day <= p.end)
        for kind in MovementType:
            assert p.amounts[kind.value] == sum(m.amount for m in inside if m.type is kind)
            assert p.customers[kind.value] == sum(1 for m in inside if m.type is kind)
    listed = reads.movements(session, tenant, first, last, "RON", None, segment)
    assert sorted((m.day, m.customer, m.type, m.amount) for m in listed) == sorted(
        (m.day, m.customer, m.type.value, m.amount) for m in found
    )


@pytest.mark.parametrize("seed_value", [4, 5])
def test_filtered_metrics_equal_the_definition_as_customers_move(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], seed_value: int
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    rng = random.Random(seed_value)
    customers = seed(api, session_factory, tenant, rng)
    limit = rng.choice([3, 7, 20])
    fold_some(session_factory, batches=3, limit=limit)
    # Midway: customers change country and channel, with part of their history folded.
    for customer in rng.sample(customers, 5):
        change = {
            "country": rng.choice(("RO", "DE", "FR")),
            "acquisition_channel": rng.choice(("google_ads", "referral", None)),
        }
        api.ok("PATCH", f"/v1/customers/{customer}", json=change)
    fold_all(session_factory, limit=limit)
    for customer in rng.sample(customers, 3):
        api.ok("PATCH", f"/v1/customers/{customer}", json={"country": rng.choice(("RO", "DE"))})
    with unit_of_work(session_factory) as session:
        for country, channel in FILTERS:
            check_filtered(session, tenant, country, channel)
        pieces = month_rows(session, tenant)
    with unit_of_work(session_factory) as session:
        rollups.rebuild(session, tenant)
    with unit_of_work(session_factory) as session:
        assert month_rows(session, tenant) == pieces
