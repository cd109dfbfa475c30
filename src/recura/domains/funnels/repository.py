"""Every query of the funnel metrics: the fold's events and subscription states, the
daily funnel rollups and counts, the rows those counts are rebuilt from, and the support
requests' waits ranked, as plain rows."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    DateTime,
    Row,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recura.db.models import (
    Account,
    Event,
    MetricCancellationDaily,
    MetricCheckoutDaily,
    MetricChurnKindDaily,
    MetricDunningDaily,
    MetricSubscriptionState,
    MetricSupportDaily,
    MetricTrialDaily,
    Plan,
    SupportRequest,
)
from recura.domains.common.tenant import Tenant

ROLLUPS = (MetricTrialDaily, MetricDunningDaily, MetricChurnKindDaily)
# ix_events_funnel_changes's condition (db/models/event.py), word for word: PostgreSQL
# uses a partial index only for a condition it can prove implies the index's.
_FUNNELS = (
    "events.type IN ('subscription.updated', 'subscription.past_due', 'subscription.canceled')"
)


def timezone_of(session: Session, account_id: str) -> str:
    return str(session.scalar(select(Account.timezone).where(Account.id == account_id)))


def timezones(session: Session, tenant: Tenant | None) -> dict[str, str]:
    """Each account's time zone (of one tenant's account, or all)."""
    stmt = select(Account.id, Account.timezone)
    if tenant is not None:
        stmt = stmt.where(Account.id == tenant.account_id)
    return {account: str(zone) for account, zone in session.execute(stmt)}


def plans_of_product(session: Session, tenant: Tenant, product: str) -> set[str]:
    return set(
        session.scalars(tenant.scope(select(Plan.id), Plan).where(Plan.product_id == product))
    )


def period_of(session: Session, column: Any, starts: Sequence[datetime]) -> Any:
    """The index of the period holding `column`'s instant, for an instant at or after the
    first of `starts` (each period's first instant, in order): counted in the database,
    so a range's rows are grouped there and only their counts come back."""
    if session.get_bind().dialect.name == "postgresql":
        bounds = bindparam("starts", list(starts), type_=ARRAY(DateTime(timezone=True)))
        return func.width_bucket(column, bounds) - 1  # a binary search over `starts`
    if len(starts) == 1:
        return literal(0)
    return case(
        *((column < start, index) for index, start in enumerate(starts[1:])),
        else_=len(starts) - 1,
    )


def support_ranked(
    session: Session,
    tenant: Tenant,
    starts: Sequence[datetime],
    end: datetime,
    ranks: Collection[tuple[int, int]],
) -> dict[tuple[int, int], int]:
    """The answered requests' waits (seconds) at the wanted (period, rank) places, each
    period's waits ordered from the shortest (rank 1); ranked by the database."""
    if not ranks:
        return {}
    r = SupportRequest
    period = period_of(session, r.created_at, starts)
    ordered = (
        tenant.scope(
            select(
                period.label("period"),
                r.first_response_seconds.label("seconds"),
                func.row_number()
                .over(partition_by=period, order_by=r.first_response_seconds)
                .label("rank"),
            ),
            r,
        )
        .where(r.created_at >= starts[0], r.created_at < end, r.first_response_seconds.is_not(None))
        .subquery()
    )
    stmt = select(ordered.c.period, ordered.c.rank, ordered.c.seconds).where(
        or_(*(and_(ordered.c.period == p, ordered.c.rank == k) for p, k in sorted(ranks)))
    )
    return {(int(p), int(k)): int(s) for p, k, s in session.execute(stmt)}


def funnel_events(
    session: Session,
    after: str | None,
    before: str | None,
    limit: int,
    tenant: Tenant | None = None,
) -> Sequence[Row[Any]]:
    """The subscription events the funnel rollups fold (updates, past due, cancellations)
    with ids in (after, before), in id order, each with its account's time zone."""
    e = Event
    stmt = (
        select(
            e.id,
            e.account_id,
            e.livemode,
            e.type,
            e.object_id,
            e.occurred_at,
            e.data,
            e.mrr_delta,
            e.mrr_currency,
            Account.timezone,
        )
        .join(Account, Account.id == e.account_id)
        .where(text(_FUNNELS))
        .order_by(e.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(e.id > after)
    if before is not None:
        stmt = stmt.where(e.id < before)
    if tenant is not None:
        stmt = stmt.where(e.account_id == tenant.account_id, e.livemode == tenant.livemode)
    return session.execute(stmt).all()


SubscriptionKey = tuple[str, bool, str]  # account, livemode, subscription


def subscription_states(
    session: Session, keys: Collection[SubscriptionKey]
) -> list[MetricSubscriptionState]:
    if not keys:
        return []
    groups: dict[tuple[str, bool], set[str]] = {}
    for account, live, sub in keys:
        groups.setdefault((account, live), set()).add(sub)
    s = MetricSubscriptionState
    stmt = select(s).where(
        or_(
            *(
                and_(s.account_id == a, s.livemode == lm, s.subscription_id.in_(sorted(subs)))
                for (a, lm), subs in groups.items()
            )
        )
    )
    # The fold writes with Core upserts: read the rows as stored, not the session's copies.
    return list(session.scalars(stmt.execution_options(populate_existing=True)))


def _dialect(session: Session) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def save_subscription_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    # The table, not the class: a Core statement sends the rows in a few multi-row
    # statements, where the ORM's bulk path sent one statement per row.
    insert = _dialect(session).insert(MetricSubscriptionState.__table__)
    keys = ("account_id", "livemode", "subscription_id")
    stmt = insert.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: insert.excluded[name] for name in rows[0] if name not in keys},
    )
    session.execute(stmt, list(rows))


def add_to_rollup(
    session: Session, model: Any, keys: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Add each row's counts to its rollup row (made if missing)."""
    if not rows:
        return
    table = model.__table__
    insert = _dialect(session).insert(table)
    stmt = insert.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + insert.excluded[name] for name in rows[0] if name not in keys},
    )
    session.execute(stmt, list(rows))


def clear(session: Session, tenant: Tenant | None) -> None:
    """Forget the funnel rollups and states (of one tenant, or all) before a rebuild."""
    for model in (*ROLLUPS, MetricSubscriptionState):
        stmt = delete(model)
        if tenant is not None:
            stmt = stmt.where(
                model.account_id == tenant.account_id, model.livemode == tenant.livemode
            )
        session.execute(stmt.execution_options(synchronize_session=False))


def _rollup(
    model: Any, tenant: Tenant, start: date, end: date, plans: Collection[str] | None
) -> Any:
    """The tenant's rows of `model` in [start, end], of `plans` (None: every plan)."""
    where = [
        model.account_id == tenant.account_id,
        model.livemode == tenant.livemode,
        model.day >= start,
        model.day <= end,
    ]
    if plans is not None:
        where.append(model.plan_id.in_(sorted(plans)))
    return and_(*where)


def trials_per_day(
    session: Session, tenant: Tenant, start: date, end: date, plans: Collection[str] | None
) -> list[tuple[date, int, int]]:
    """(day, trials ended, converted) of the days in [start, end]."""
    t = MetricTrialDaily
    stmt = (
        select(t.day, func.sum(t.ended), func.sum(t.converted))
        .where(_rollup(t, tenant, start, end, plans))
        .group_by(t.day)
    )
    return [(day, int(ended), int(converted)) for day, ended, converted in session.execute(stmt)]


def dunning_per_day(
    session: Session, tenant: Tenant, start: date, end: date, plans: Collection[str] | None
) -> list[tuple[date, int, int, int]]:
    """(day, gap, entered, recovered) of the days in [start, end]."""
    d = MetricDunningDaily
    stmt = (
        select(d.day, d.gap, func.sum(d.entered), func.sum(d.recovered))
        .where(_rollup(d, tenant, start, end, plans))
        .group_by(d.day, d.gap)
    )
    return [(day, gap, int(n), int(r)) for day, gap, n, r in session.execute(stmt)]


def churn_kinds_per_day(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    currency: str,
    plans: Collection[str] | None,
) -> list[tuple[date, str, int, int]]:
    """(day, kind, subscriptions, MRR lost) of the days in [start, end], in `currency`."""
    c = MetricChurnKindDaily
    stmt = (
        select(c.day, c.kind, func.sum(c.subscriptions), func.sum(c.mrr))
        .where(_rollup(c, tenant, start, end, plans), c.currency == currency)
        .group_by(c.day, c.kind)
    )
    return [(day, kind, int(n), int(mrr)) for day, kind, n, mrr in session.execute(stmt)]


def checkout_per_day(
    session: Session, tenant: Tenant, start: date, end: date, plans: Collection[str] | None
) -> list[tuple[date, str, bool, int]]:
    """(day, furthest stage ("" for none), completed, sessions) of the days in [start, end]."""
    c = MetricCheckoutDaily
    stmt = (
        select(c.day, c.stage, c.complete, func.sum(c.sessions))
        .where(_rollup(c, tenant, start, end, plans))
        .group_by(c.day, c.stage, c.complete)
    )
    return [(day, stage, bool(done), int(n)) for day, stage, done, n in session.execute(stmt)]


def cancellations_per_day(
    session: Session, tenant: Tenant, start: date, end: date
) -> list[tuple[date, str, str, bool, int]]:
    """(day, reason ("" for none), outcome, canceled, flows) of the days in [start, end]."""
    f = MetricCancellationDaily
    stmt = select(f.day, f.reason, f.outcome, f.canceled, f.flows).where(
        _rollup(f, tenant, start, end, None)
    )
    return [
        (day, reason, outcome, bool(left), int(n))
        for day, reason, outcome, left, n in session.execute(stmt)
    ]


def support_per_day(
    session: Session, tenant: Tenant, start: date, end: date
) -> list[tuple[date, int, int, int]]:
    """(day, requests, answered, seconds the answered waited) of the days in [start, end]."""
    r = MetricSupportDaily
    stmt = select(r.day, r.requests, r.answered, r.seconds).where(
        _rollup(r, tenant, start, end, None)
    )
    return [(day, int(n), int(a), int(s)) for day, n, a, s in session.execute(stmt)]


def drop_empty(session: Session, model: Any, key: dict[str, Any], count: str) -> None:
    """Remove the daily row at `key` if it no longer counts anything."""
    table = model.__table__
    where = [table.c[name] == value for name, value in key.items()]
    session.execute(delete(table).where(*where, table.c[count] == 0))


def clear_counts(session: Session, model: Any, tenant: Tenant | None) -> None:
    """Forget a daily count table's rows (of one tenant, or all) before a rebuild."""
    stmt = delete(model)
    if tenant is not None:
        stmt = stmt.where(model.account_id == tenant.account_id, model.livemode == tenant.livemode)
    session.execute(stmt.execution_options(synchronize_session=False))


def counted_rows(
    session: Session, source: Any, columns: Sequence[str], tenant: Tenant | None
) -> Any:
    """The rows of `source` (of one tenant, or all) with the columns their count reads,
    streamed."""
    table = source.__table__
    names = ("account_id", "livemode", "created_at", *columns)
    stmt = select(*(table.c[n] for n in names))
    if tenant is not None:
        stmt = stmt.where(
            table.c.account_id == tenant.account_id, table.c.livemode == tenant.livemode
        )
    return session.execute(stmt.execution_options(yield_per=5000))


def insert_counts(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model.__table__), list(rows))
