"""The funnel rollups on both backends against the definitions: random subscription
lifecycles (trials that end paid, unpaid or canceled, a trial's charge failing at its
end, failed payments recovered or not, plan changes, voluntary and involuntary churn, in
two currencies), folded in small pieces, give the trial conversion, dunning recovery
and churn kinds that docs/metrics.md defines, computed here from the events, per day,
week and month, with and without a plan filter; a rebuild gives the same rows."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura import ids
from recura.core.funnels import churn_kind
from recura.core.metrics import ChurnKind
from recura.db.models import (
    Event,
    MetricChurnKindDaily,
    MetricDunningDaily,
    MetricSubscriptionState,
    MetricTrialDaily,
)
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import service as events
from recura.domains.events.payloads import EventType
from recura.domains.funnels import reads, rollups
from recura.domains.metrics.reads import Granularity
from tests.conftest import Merchant
from tests.own_database import database_url, engine, session_factory

# A database of its own: the settle test asks the fold what is due in every account.
__all__ = ["database_url", "engine", "session_factory"]

START = datetime(2025, 3, 1, 7, tzinfo=UTC)
PLANS = ("plan_a", "plan_b", "plan_c")
STEPS = (timedelta(0), timedelta(hours=5), timedelta(days=1), timedelta(days=3),
         timedelta(days=20), timedelta(days=40))  # fmt: skip
UPDATED, PAST_DUE, CANCELED = (
    EventType.SUBSCRIPTION_UPDATED,
    EventType.SUBSCRIPTION_PAST_DUE,
    EventType.SUBSCRIPTION_CANCELED,
)


@dataclass(frozen=True, slots=True)
class Made:
    at: datetime
    type: EventType
    sub: str
    data: dict[str, Any]
    delta: int
    currency: str


def lifecycle(rng: random.Random, n: int) -> list[Made]:
    """One subscription's events, as the lifecycle makes them (core/lifecycle.py)."""
    sub, currency = f"sub_f{n}", rng.choice(("RON", "RON", "EUR"))
    plan, price = rng.choice(PLANS), rng.choice((1900, 4900))
    at = START + timedelta(days=rng.uniform(0, 200))
    status, mrr = ("trialing", 0) if rng.random() < 0.5 else ("active", price)
    found: list[Made] = []

    def emit(kind: EventType, new: str, **extra: Any) -> None:
        nonlocal status, mrr
        paying = price if new in ("active", "past_due") else 0
        data = {"id": sub, "customer": f"cus_f{n}", "plan": plan, "status": new,
                "previous_status": status, "mrr": paying, **extra}  # fmt: skip
        found.append(Made(at, kind, sub, data, paying - mrr, currency))
        status, mrr = new, paying

    emit(EventType.SUBSCRIPTION_CREATED, status)
    if status == "trialing":
        at += timedelta(days=rng.choice((7, 14, 30)))
        ending = rng.random()
        if ending < 0.5:
            emit(UPDATED, "active", change="trial_ended")
            if rng.random() < 0.4:  # its charge failed at once
                emit(PAST_DUE, "past_due")
        elif ending < 0.8:
            emit(PAST_DUE, "past_due", change="trial_ended")
        else:
            emit(CANCELED, "canceled", reason="trial_end")
    for _ in range(rng.randrange(0, 9)):
        if status == "canceled":
            break
        at += rng.choice(STEPS)
        step = rng.random()
        if status == "active" and step < 0.35:
            emit(PAST_DUE, "past_due")
        elif status in ("past_due", "unpaid") and step < 0.5:
            emit(UPDATED, "active", change="payment_recovered")
        elif status == "past_due" and step < 0.65:
            emit(UPDATED, "unpaid", change="marked_unpaid")
        elif status == "past_due" and step < 0.8:
            emit(CANCELED, "canceled", reason="retries_exhausted")
        elif step < 0.85:
            emit(CANCELED, "canceled", reason="requested")
        elif status in ("active", "past_due"):
            plan = rng.choice(PLANS)
            price = rng.choice((1900, 4900, 9900))
            emit(UPDATED, status, change="change_applied")
    return found


def seed(factory: sessionmaker[Session], tenant: Tenant, rng: random.Random) -> list[Made]:
    made = [e for n in range(60) for e in lifecycle(rng, n)]
    made.sort(key=lambda e: e.at)  # stable: one instant's events keep their order
    with unit_of_work(factory) as session:
        for e in made:
            row = events.json_row(
                tenant, e.type, e.data, e.at, mrr_delta=e.delta, mrr_currency=e.currency
            )
            session.add(Event(id=ids.new_id("event"), **row))
    return made


def fold_all(factory: sessionmaker[Session], limit: int) -> None:
    while True:
        with unit_of_work(factory) as session:
            if rollups.fold_events(session, limit=limit) == 0:
                return


def rows(session: Session, tenant: Tenant) -> dict[str, list[tuple[str, ...]]]:
    found = {}
    models = (MetricTrialDaily, MetricDunningDaily, MetricChurnKindDaily, MetricSubscriptionState)
    for model in models:
        stored = session.scalars(select(model).where(model.account_id == tenant.account_id))
        columns = [c.name for c in model.__table__.columns]
        found[model.__tablename__] = sorted(
            tuple(str(getattr(r, c)) for c in columns) for r in stored
        )
    return found


class Definitions:
    """docs/metrics.md's funnel definitions over the events, per period."""

    def __init__(self, made: list[Made], zone: ZoneInfo) -> None:
        self.made, self.zone = made, zone

    def day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def recovered_after(self, sub: str, at: datetime) -> bool:
        return any(
            e.sub == sub and e.data.get("change") == "payment_recovered" and e.at >= at
            for e in self.made
        )

    def trials(self, first: date, last: date, plans: set[str] | None) -> tuple[int, int]:
        ended, converted, seen = 0, 0, set()
        for e in self.made:
            trial_end = e.data["previous_status"] == "trialing" and e.data["status"] != "trialing"
            if not trial_end or e.sub in seen or e.type is EventType.SUBSCRIPTION_CREATED:
                continue
            seen.add(e.sub)
            if not first <= self.day(e.at) <= last or (
                plans is not None and e.data["plan"] not in plans
            ):
                continue
            failed = any(x.sub == e.sub and x.type is PAST_DUE and x.at == e.at for x in self.made)
            ended += 1
            paid = e.data["status"] == "active"
            converted += paid and (not failed or self.recovered_after(e.sub, e.at))
        return ended, converted

    def dunning(self, first: date, last: date, plans: set[str] | None) -> tuple[int, int]:
        firsts: dict[str, Made] = {}
        for e in self.made:
            if e.type is PAST_DUE and first <= self.day(e.at) <= last:
                firsts.setdefault(e.sub, e)  # the subscription's first entry in the period
        chosen = [e for e in firsts.values() if plans is None or e.data["plan"] in plans]
        return len(chosen), sum(self.recovered_after(e.sub, e.at) for e in chosen)

    def churn_kinds(
        self, first: date, last: date, currency: str, plans: set[str] | None
    ) -> tuple[dict[ChurnKind, int], dict[ChurnKind, int]]:
        counts: Counter[ChurnKind] = Counter()
        lost: Counter[ChurnKind] = Counter()
        for e in self.made:
            if (
                e.type in (UPDATED, CANCELED)
                and e.delta < 0
                and e.data["mrr"] == 0
                and e.currency == currency
                and first <= self.day(e.at) <= last
                and (plans is None or e.data["plan"] in plans)
            ):
                kind = churn_kind(e.data["status"], e.data.get("reason"))
                counts[kind] += 1
                lost[kind] -= e.delta
        return {k: counts[k] for k in ChurnKind}, {k: lost[k] for k in ChurnKind}


def check_against_the_definitions(session: Session, tenant: Tenant, made: list[Made]) -> None:
    zone = ZoneInfo("Europe/Bucharest")
    defined = Definitions(made, zone)
    days = [defined.day(e.at) for e in made]
    first, last = min(days), max(days)
    ranges = [
        (first.replace(day=1), last, Granularity.MONTH),
        (first + timedelta(days=45), last - timedelta(days=20), Granularity.MONTH),
        (first + timedelta(days=10), first + timedelta(days=150), Granularity.WEEK),
        (first + timedelta(days=20), first + timedelta(days=60), Granularity.DAY),
    ]
    seen = Counter[str]()
    for start, end, granularity in ranges:
        w = reads.window(session, tenant, start, end, granularity)
        for plans in (None, {"plan_a"}, {"plan_b", "plan_c"}, set()):
            for a, b, t in reads.trials(session, tenant, w, plans):
                assert (t.ended, t.converted) == defined.trials(a, b, plans), (a, b, plans)
                seen["trials"] += t.converted
            for a, b, d in reads.dunning(session, tenant, w, plans):
                assert (d.entered, d.recovered) == defined.dunning(a, b, plans), (a, b, plans)
                seen["dunning"] += d.recovered
            for currency in ("RON", "EUR"):
                for a, b, k in reads.churn_kinds(session, tenant, w, currency, plans):
                    expected = defined.churn_kinds(a, b, currency, plans)
                    assert (k.subscriptions, k.mrr) == expected, (a, b, currency, plans)
                    seen["churn"] += k.subscriptions[ChurnKind.INVOLUNTARY]
    # The random data has each case.
    assert seen["trials"] > 0
    assert seen["dunning"] > 0
    assert seen["churn"] > 0


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_funnel_rollups_equal_the_definitions(
    merchant: Merchant, session_factory: sessionmaker[Session], seed_value: int
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    rng = random.Random(seed_value)
    made = seed(session_factory, tenant, rng)
    fold_all(session_factory, limit=rng.choice([3, 7, 50]))
    with unit_of_work(session_factory) as session:
        check_against_the_definitions(session, tenant, made)
        pieces = rows(session, tenant)
    with unit_of_work(session_factory) as session:
        assert rollups.rebuild(session, tenant) == sum(
            e.type is not EventType.SUBSCRIPTION_CREATED for e in made
        )
    with unit_of_work(session_factory) as session:
        assert rows(session, tenant) == pieces
    # Everything again from the start, as the worker folds after `recura metrics rebuild`.
    with unit_of_work(session_factory) as session:
        rollups.rebuild(session)
    fold_all(session_factory, limit=rollups.BATCH)
    with unit_of_work(session_factory) as session:
        assert rows(session, tenant) == pieces


def test_the_fold_waits_for_events_to_settle(
    merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    made = seed(session_factory, tenant, random.Random(4))
    # The ids' clock, not the wall's: after a burst of ids it runs ahead of the wall.
    with session_factory() as session:
        last = session.scalars(select(Event.id).order_by(Event.id.desc()).limit(1)).one()
    now = datetime.fromtimestamp(ids.millis_of(last) / 1000, UTC)
    with unit_of_work(session_factory) as session:
        assert rollups.fold_due(session, now) == 0  # made just now: not settled yet
    with unit_of_work(session_factory) as session:
        assert rollups.fold_due(session, now + rollups.SETTLE + timedelta(seconds=1)) > 0
    assert made
