"""The worker's metric rollups on both backends: a story walked month by month on a test
clock gives hand-computed MRR movements to the cent; folding in any pieces, again after
a rerun, or by the worker's handler gives what a rebuild gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from recura import ids
from recura.cli import app
from recura.db.models import (
    Event,
    MetricCursor,
    MetricCustomerState,
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
from recura.domains.metrics import rollups
from tests.conftest import SECRET, Api, Merchant
from tests.scenarios.world import World


def at(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, tzinfo=UTC)


def story(api: Api) -> dict[str, str]:
    """Ana starts on Basic, upgrades, cancels and comes back; Bogdan starts on Pro and
    downgrades; Carmen pays yearly."""
    world = World(api, at(1, 1), timezone="UTC")
    basic, pro = world.plan(3000, name="Basic"), world.plan(6000, name="Pro")
    yearly = world.plan(36000, name="Basic yearly", interval="year")
    ana, bogdan, carmen = world.customer(), world.customer(), world.customer()
    first = world.subscribe(ana, basic)
    bogdans = world.subscribe(bogdan, pro)
    world.advance_to(at(1, 15))
    world.subscribe(carmen, yearly)
    world.advance_to(at(2, 10))
    world.act(first["id"], "change", plan=pro)
    world.advance_to(at(3, 10))
    world.act(bogdans["id"], "change", plan=basic, effective="now")
    world.advance_to(at(4, 5))
    world.act(first["id"], "cancel")
    world.advance_to(at(5, 7))
    world.subscribe(ana, basic)
    world.advance_to(at(6, 2))
    return {"ana": ana, "bogdan": bogdan, "carmen": carmen}


def movements(session: Session, tenant: Tenant) -> list[tuple[date, str, str, int]]:
    rows = session.scalars(
        select(MrrMovement)
        .where(MrrMovement.account_id == tenant.account_id, MrrMovement.scope == ALL)
        .order_by(MrrMovement.day, MrrMovement.customer_id)
    )
    return [(r.day, r.customer_id, r.type, r.amount) for r in rows]


def snapshot(session: Session, tenant: Tenant) -> dict[str, list[tuple[Any, ...]]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    models = (
        MrrMovement,
        MetricRollupDaily,
        MetricCustomerState,
        MrrMonthMovement,
        MetricRollupMonthly,
    )
    for model in models:
        rows = session.scalars(select(model).where(model.account_id == tenant.account_id))
        columns = [c.name for c in model.__table__.columns]
        found[model.__tablename__] = sorted(
            tuple(str(getattr(r, c.replace("metadata", "metadata_"))) for c in columns)
            for r in rows
        )
    return found


def fold_all(factory: sessionmaker[Session], limit: int = rollups.BATCH) -> int:
    done = 0
    while True:
        with unit_of_work(factory) as session:
            count = rollups.fold_events(session, limit=limit)
        done += count
        if count == 0:
            return done


@pytest.fixture
def tenant(merchant: Merchant) -> Tenant:
    return Tenant(merchant.account_id, livemode=False)


def test_a_story_month_by_month_to_the_cent(
    api: Api, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    who = story(api)
    ana, bogdan, carmen = who["ana"], who["bogdan"], who["carmen"]
    fold_all(session_factory)
    with unit_of_work(session_factory) as session:
        found = movements(session, tenant)
        assert sorted(found[:2]) == sorted(
            [(date(2026, 1, 1), ana, "new", 3000), (date(2026, 1, 1), bogdan, "new", 6000)]
        )
        assert found[2:] == [
            (date(2026, 1, 15), carmen, "new", 3000),  # 360.00 a year is 30.00 a month
            (date(2026, 2, 10), ana, "expansion", 3000),
            (date(2026, 3, 10), bogdan, "contraction", -3000),
            (date(2026, 4, 5), ana, "churn", -6000),
            (date(2026, 5, 7), ana, "reactivation", 3000),
        ]
        days = session.scalars(
            select(MetricRollupDaily)
            .where(
                MetricRollupDaily.account_id == tenant.account_id,
                # The totals over every customer and subscription (the others are per
                # plan or product, country and channel).
                MetricRollupDaily.scope == ALL,
                MetricRollupDaily.country == ALL,
                MetricRollupDaily.channel == ALL,
            )
            .order_by(MetricRollupDaily.day)
        ).all()
        assert [(d.day, d.new, d.new_customers) for d in days if d.new] == [
            (date(2026, 1, 1), 9000, 2),
            (date(2026, 1, 15), 3000, 1),
        ]
        nets = sum(d.new + d.expansion + d.contraction + d.churn + d.reactivation for d in days)
        assert nets == 3000 + 3000 + 3000  # Ana's Basic, Bogdan's Basic, Carmen's year
        assert {(d.day, d.currency) for d in days} >= {(date(2026, 4, 5), "RON")}


def test_folding_in_pieces_and_again_equals_a_rebuild(
    api: Api, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    story(api)
    fold_all(session_factory, limit=1)
    assert fold_all(session_factory) == 0  # a rerun folds nothing twice
    with unit_of_work(session_factory) as session:
        pieces = snapshot(session, tenant)
        # The 7 movements over all subscriptions (rows' third column: the scope); the
        # others are per plan and product.
        assert sum(1 for row in pieces["mrr_movements"] if row[2] == ALL) == 7
    with unit_of_work(session_factory) as session:
        # The 7 MRR changes and the 8 renewals, whose terms a setting may count.
        assert rollups.rebuild(session, tenant) == 15
    with unit_of_work(session_factory) as session:
        assert snapshot(session, tenant) == pieces
    # Everything again from the start of the log, as `recura metrics rebuild --all` does.
    with unit_of_work(session_factory) as session:
        rollups.rebuild(session)
    fold_all(session_factory, limit=3)
    with unit_of_work(session_factory) as session:
        assert snapshot(session, tenant) == pieces


def test_the_worker_folds_what_has_settled(
    api: Api, tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, at(1, 1), timezone="UTC")
    world.subscribe(world.customer(), world.plan(3000))
    # The ids' clock, not the wall's: after a burst of ids it runs ahead of the wall.
    with session_factory() as session:
        mine = select(Event.id).where(Event.account_id == tenant.account_id)
        last = session.scalars(mine.order_by(Event.id.desc()).limit(1)).one()
    made = datetime.fromtimestamp(ids.millis_of(last) / 1000, UTC)
    with unit_of_work(session_factory) as session:
        # Events made less than SETTLE ago may have company still uncommitted: they wait.
        while rollups.fold_due(session, made):
            pass
        assert movements(session, tenant) == []
    later = made + rollups.SETTLE + timedelta(seconds=5)
    with unit_of_work(session_factory) as session:
        while rollups.fold_due(session, later):
            pass
    with unit_of_work(session_factory) as session:
        assert [m[2:] for m in movements(session, tenant)] == [("new", 3000)]


def test_the_rebuild_command(
    api: Api, merchant: Merchant, tenant: Tenant, database_url: str, session_factory: Any
) -> None:
    world = World(api, at(1, 1), timezone="UTC")
    world.subscribe(world.customer(), world.plan(3000))
    fold_all(session_factory)
    env = {"RECURA_DATABASE_URL": database_url, "RECURA_SECRET_KEY": SECRET, "COLUMNS": "200"}
    args = ["metrics", "rebuild", "--account", merchant.account_id, "--test"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "1 MRR changes folded" in result.output
    with unit_of_work(session_factory) as session:
        assert [m[2:] for m in movements(session, tenant)] == [("new", 3000)]
    missing = CliRunner().invoke(app, ["metrics", "rebuild", "--account", "acct_x"], env=env)
    assert missing.exit_code == 1


def test_an_event_naming_no_customer_is_passed_over_not_stalling_the_fold(
    tenant: Tenant, session_factory: sessionmaker[Session]
) -> None:
    odd = {"id": "sub_odd"}  # not a payload Recura writes: no customer to attribute it to
    at = datetime.now(UTC) - timedelta(days=1)
    with unit_of_work(session_factory) as session:
        row = events.json_row(
            tenant, EventType.SUBSCRIPTION_UPDATED, odd, at, mrr_delta=100, mrr_currency="RON"
        )
        odd_id = ids.new_id("event")
        session.add(Event(id=odd_id, **row))
    fold_all(session_factory)
    with unit_of_work(session_factory) as session:
        assert movements(session, tenant) == []
        cursor = session.get(MetricCursor, rollups.CURSOR)
        assert cursor is not None
        assert (cursor.last_event_id or "") >= odd_id  # folded past it
