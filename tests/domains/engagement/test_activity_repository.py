"""The activity's queries count as core/engagement.py defines: random activity stored
through the upsert, then each window read by the database compared with the pure figures
(SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from recura.core import engagement as core
from recura.domains.accounts import service as accounts
from recura.domains.accounts.schemas import AccountCreate
from recura.domains.common.tenant import Tenant
from recura.domains.engagement import activity, repository
from recura.domains.engagement.repository import ActivityRow
from tests.conftest import T0

D0 = date(2026, 3, 18)  # a Wednesday


@pytest.fixture
def tenant(session: Session) -> Tenant:
    body = AccountCreate(legal_name="Activity SRL", country="RO", default_currency="RON")
    return Tenant(accounts.create_account(session, body, T0).id, False)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.mark.parametrize("seed", [1, 2])
def test_windows_read_by_the_database_match_the_definitions(
    session: Session, tenant: Tenant, seed: int
) -> None:
    rng = random.Random(seed)
    rows = []
    for _ in range(300):
        day = D0 - timedelta(days=rng.randint(0, 100))
        who, feature = f"cus_{rng.randint(1, 12)}", rng.choice(["", "a", "b"])
        rows.append(ActivityRow(who, day, feature, rng.randint(1, 3), at(day)))
    # In two writes, so the second adds to rows the first made.
    repository.record(session, tenant, rows[:150], T0)
    repository.record(session, tenant, rows[150:], T0)
    days = {(r.customer_id, r.day) for r in rows}
    first, last = D0 - timedelta(days=80), D0 - timedelta(days=3)
    for granularity in core.GRANULARITIES:
        counts = repository.active_per_bucket(session, tenant, first, last, granularity)
        assert core.buckets(counts, first, last, granularity) == core.active_customers(
            days, first, last, granularity
        )
    figures = core.active_on(days, D0)
    month_from = D0 - timedelta(days=core.MONTH_DAYS - 1)
    assert repository.active_between(session, tenant, month_from, D0) == figures.mau
    week_from = D0 - timedelta(days=core.WEEK_DAYS - 1)
    assert repository.active_between(session, tenant, week_from, D0) == figures.wau
    split, start = D0 - timedelta(days=13), D0 - timedelta(days=41)
    before, recent = repository.days_before_and_since(session, tenant, start, split, D0)
    for who in {r.customer_id for r in rows}:
        assert before.get(who, 0) == len({d for c, d in days if c == who and start <= d < split})
        assert recent.get(who, 0) == len({d for c, d in days if c == who and split <= d <= D0})
    uses = repository.feature_uses(session, tenant, first, last)
    expected: dict[tuple[str, str], int] = {}
    for r in rows:
        if first <= r.day <= last:
            key = (r.customer_id, r.feature)
            expected[key] = expected.get(key, 0) + r.uses
    assert {(c, f): n for c, f, n in uses} == expected
    other = Tenant(tenant.account_id, True)
    assert repository.active_between(session, other, first, D0) == 0


def test_usage_events_fold_to_a_row_per_customer_day_and_code(
    session: Session, tenant: Tenant
) -> None:
    late = at(D0) + timedelta(hours=5)
    events = [
        ("cus_1", "api", at(D0)),
        ("cus_1", "api", late),
        ("cus_1", "api", at(D0 - timedelta(1))),
    ]
    activity.from_usage(session, tenant, events, T0)
    activity.from_usage(session, tenant, [("cus_1", "api", at(D0))], T0)
    row = repository.one(session, tenant, "cus_1", D0, "api")
    assert row is not None
    assert (row.count, row.last_at) == (3, late)
    assert repository.feature_uses(session, tenant, D0 - timedelta(1), D0) == [("cus_1", "api", 4)]
    activity.from_usage(session, tenant, [], T0)  # nothing stored, nothing asked
