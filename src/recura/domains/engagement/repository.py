"""Engagement queries. Every read takes a window of days and goes through the activity's
(account, mode, day) index; the at-risk inputs read only open invoices and scheduled
cancellations, through partial indexes that hold just those rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Date, and_, case, cast, distinct, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from recura.db.models import (
    Customer,
    CustomerActivity,
    Invoice,
    OnboardingCompletion,
    OnboardingStep,
    Plan,
    Subscription,
)
from recura.domains.common.tenant import Tenant
from recura.ids import new_ids

KEY = ["account_id", "livemode", "customer_id", "day", "feature"]
LIVE_STATUSES = ("trialing", "active", "past_due", "paused")
CHUNK = 500


class ActivityRow(NamedTuple):
    customer_id: str
    day: date
    feature: str
    uses: int  # the column `count` (a tuple has a method of that name)
    last_at: datetime


def record(session: Session, tenant: Tenant, rows: Sequence[ActivityRow], now: datetime) -> None:
    """Add the rows' counts to those stored under the same (customer, day, feature), or
    insert them (rows sharing a key count together); in key order, so two writers sharing
    rows never wait for each other in a cycle."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    insert: Any = pg_insert if postgresql else sqlite_insert
    latest: Any = func.greatest if postgresql else func.max  # SQLite's max of two values
    # One row per key in a statement (PostgreSQL refuses to update a row twice in one).
    merged: dict[tuple[str, date, str], ActivityRow] = {}
    for row in rows:
        key = (row.customer_id, row.day, row.feature)
        seen = merged.get(key)
        if seen is not None:
            row = row._replace(uses=seen.uses + row.uses, last_at=max(seen.last_at, row.last_at))
        merged[key] = row
    ordered = [merged[key] for key in sorted(merged)]
    table = CustomerActivity.__table__
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        ids = new_ids("customer_activity", len(chunk))
        keys = {**tenant.row_keys(), "created_at": now}
        values = [
            {
                **keys,
                "id": i,
                "customer_id": row.customer_id,
                "day": row.day,
                "feature": row.feature,
                "count": row.uses,
                "last_at": row.last_at,
            }
            for i, row in zip(ids, chunk, strict=True)
        ]
        stmt = insert(table).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=KEY,
            set_={
                "count": table.c.count + stmt.excluded.count,
                "last_at": latest(table.c.last_at, stmt.excluded.last_at),
            },
        )
        session.execute(stmt)


def one(
    session: Session, tenant: Tenant, customer_id: str, day: date, feature: str
) -> CustomerActivity | None:
    stmt = tenant.scope(select(CustomerActivity), CustomerActivity).where(
        CustomerActivity.customer_id == customer_id,
        CustomerActivity.day == day,
        CustomerActivity.feature == feature,
    )
    return session.scalar(stmt.execution_options(populate_existing=True))


def _window(tenant: Tenant, stmt: Any, first: date, last: date) -> Any:
    return stmt.where(
        CustomerActivity.account_id == tenant.account_id,
        CustomerActivity.livemode == tenant.livemode,
        CustomerActivity.day >= first,
        CustomerActivity.day <= last,
    )


def _bucket(postgresql: bool, granularity: str) -> Any:
    """The first day of an activity day's bucket, computed by the database."""
    day = CustomerActivity.day
    if granularity == "day":
        return day
    if postgresql:
        return cast(func.date_trunc(granularity, day), Date)
    if granularity == "week":  # the Sunday on or after the day, less six days: its Monday
        return type_coerce(func.date(day, "weekday 0", "-6 days"), Date)
    return type_coerce(func.strftime("%Y-%m-01", day), Date)


def active_per_bucket(
    session: Session, tenant: Tenant, first: date, last: date, granularity: str
) -> dict[date, int]:
    """Distinct active customers per day, week (from Monday) or month, counting only the
    days between first and last; by the bucket's first day."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    bucket = _bucket(postgresql, granularity).label("bucket")
    stmt = _window(
        tenant,
        select(bucket, func.count(distinct(CustomerActivity.customer_id))),
        first,
        last,
    ).group_by(bucket)
    return {start: n for start, n in session.execute(stmt)}


def active_between(session: Session, tenant: Tenant, first: date, last: date) -> int:
    """Distinct customers active on any day between first and last."""
    stmt = _window(tenant, select(func.count(distinct(CustomerActivity.customer_id))), first, last)
    return int(session.scalar(stmt) or 0)


def active_days_of(
    session: Session, tenant: Tenant, customer_id: str, first: date, last: date
) -> int:
    """The distinct days between first and last on which one customer was active."""
    stmt = _window(tenant, select(func.count(distinct(CustomerActivity.day))), first, last)
    return int(session.scalar(stmt.where(CustomerActivity.customer_id == customer_id)) or 0)


def feature_uses(
    session: Session, tenant: Tenant, first: date, last: date
) -> list[tuple[str, str, int]]:
    """(customer, feature, uses) summed over the days between first and last."""
    stmt = _window(
        tenant,
        select(
            CustomerActivity.customer_id,
            CustomerActivity.feature,
            func.sum(CustomerActivity.count),
        ),
        first,
        last,
    ).group_by(CustomerActivity.customer_id, CustomerActivity.feature)
    return [(c, f, int(n)) for c, f, n in session.execute(stmt)]


def days_before_and_since(
    session: Session, tenant: Tenant, first: date, split: date, last: date
) -> tuple[dict[str, int], dict[str, int]]:
    """Per customer, the distinct active days in first..split-1 and in split..last."""
    day = CustomerActivity.day
    before = func.count(distinct(case((day < split, day))))
    since = func.count(distinct(case((day >= split, day))))
    stmt = _window(
        tenant, select(CustomerActivity.customer_id, before, since), first, last
    ).group_by(CustomerActivity.customer_id)
    earlier: dict[str, int] = {}
    recent: dict[str, int] = {}
    for customer, b, s in session.execute(stmt):
        if b:
            earlier[customer] = b
        if s:
            recent[customer] = s
    return earlier, recent


def failed_payments(session: Session, tenant: Tenant, now: datetime) -> dict[str, int]:
    """Per customer, open invoices past their due time or with a failed charge attempt."""
    stmt = (
        tenant.scope(select(Invoice.customer_id, func.count()), Invoice)
        .where(
            Invoice.status == "open",
            or_(Invoice.first_failed_at.isnot(None), and_(Invoice.due_at < now)),
        )
        .group_by(Invoice.customer_id)
    )
    return {c: n for c, n in session.execute(stmt)}


def scheduled_cancellations(session: Session, tenant: Tenant) -> dict[str, datetime]:
    """Per customer, the earliest end of a live subscription set to cancel at period end."""
    stmt = (
        tenant.scope(
            select(Subscription.customer_id, func.min(Subscription.current_period_end)),
            Subscription,
        )
        .where(
            Subscription.cancel_at_period_end,
            Subscription.status.in_(LIVE_STATUSES),
        )
        .group_by(Subscription.customer_id)
    )
    return {c: at for c, at in session.execute(stmt)}


def customers_named(
    session: Session, tenant: Tenant, customer_ids: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    """(name, email) of each customer among the ids."""
    found: dict[str, tuple[str | None, str | None]] = {}
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), CHUNK):
        stmt = tenant.scope(select(Customer.id, Customer.name, Customer.email), Customer).where(
            Customer.id.in_(ids[start : start + CHUNK])
        )
        found.update({i: (n, e) for i, n, e in session.execute(stmt)})
    return found


def live_subscribers(session: Session, tenant: Tenant) -> list[tuple[str, str, str]]:
    """(customer, plan, product) of each live subscription."""
    stmt = (
        tenant.scope(
            select(Subscription.customer_id, Subscription.plan_id, Plan.product_id), Subscription
        )
        .join(
            Plan, (Plan.account_id == Subscription.account_id) & (Plan.id == Subscription.plan_id)
        )
        .where(Subscription.status.in_(LIVE_STATUSES))
    )
    return [(c, p, prod) for c, p, prod in session.execute(stmt)]


def onboarding_steps(session: Session, tenant: Tenant) -> list[tuple[str, str | None, str | None]]:
    """(step, plan, product) of the steps not archived."""
    stmt = tenant.scope(
        select(OnboardingStep.id, OnboardingStep.plan_id, OnboardingStep.product_id),
        OnboardingStep,
    ).where(OnboardingStep.archived_at.is_(None))
    return [(s, p, prod) for s, p, prod in session.execute(stmt)]


def completed_steps(
    session: Session, tenant: Tenant, step_ids: Sequence[str]
) -> set[tuple[str, str]]:
    """(customer, step) of every completion of these steps."""
    if not step_ids:
        return set()
    stmt = tenant.scope(
        select(OnboardingCompletion.customer_id, OnboardingCompletion.step_id),
        OnboardingCompletion,
    ).where(OnboardingCompletion.step_id.in_(list(step_ids)))
    return {(c, s) for c, s in session.execute(stmt)}
