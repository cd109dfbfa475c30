"""Every query of the metric rollups: the fold's cursor, the events past it, the
customers' fold states, the movements and the daily totals."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recura.db.models import (
    Account,
    Customer,
    Event,
    MetricCursor,
    MetricCustomerState,
    MetricRollupDaily,
    MrrMovement,
    Subscription,
)
from recura.domains.common.tenant import Tenant

TYPES = ("new", "expansion", "contraction", "churn", "reactivation")
TOTALS = (*TYPES, *(f"{t}_customers" for t in TYPES))


def _dialect(session: Session) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def lock_cursor(session: Session, name: str) -> MetricCursor:
    """The fold's cursor, made if missing, held until commit: one fold at a time. An idle
    pass only reads (on SQLite it must not take the write lock for nothing)."""
    stmt = select(MetricCursor).where(MetricCursor.name == name).with_for_update()
    found = session.scalars(stmt).first()
    if found is not None:
        return found
    insert = _dialect(session).insert(MetricCursor).values(name=name, last_event_id=None)
    session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
    return session.scalars(stmt).one()


def mrr_events(
    session: Session,
    after: str | None,
    before: str | None,
    limit: int,
    tenant: Tenant | None = None,
) -> Sequence[tuple[Event, str]]:
    """Events that changed MRR with ids in (after, before), in id order, each with its
    account's time zone."""
    stmt = (
        select(Event, Account.timezone)
        .join(Account, Account.id == Event.account_id)
        .where(Event.mrr_delta != 0, Event.mrr_currency.is_not(None))
        .order_by(Event.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(Event.id > after)
    if before is not None:
        stmt = stmt.where(Event.id < before)
    if tenant is not None:
        stmt = stmt.where(Event.account_id == tenant.account_id, Event.livemode == tenant.livemode)
    return [(event, zone) for event, zone in session.execute(stmt)]


StateKey = tuple[str, bool, str, str]  # account, livemode, customer, currency


def states(session: Session, keys: Collection[StateKey]) -> list[MetricCustomerState]:
    if not keys:
        return []
    cols = (
        MetricCustomerState.account_id,
        MetricCustomerState.livemode,
        MetricCustomerState.customer_id,
        MetricCustomerState.currency,
    )
    stmt = select(MetricCustomerState).where(tuple_(*cols).in_(list(keys)))
    return list(session.scalars(stmt))


def save_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    insert = _dialect(session).insert(MetricCustomerState)
    changed = ("day", "opening", "mrr", "earned", "churned_on", "subscriptions")
    stmt = insert.on_conflict_do_update(
        index_elements=["account_id", "livemode", "customer_id", "currency"],
        set_={name: insert.excluded[name] for name in changed},
    )
    session.execute(stmt, list(rows))


MovementKey = tuple[str, bool, date, str, str]  # account, livemode, day, currency, customer


def _movement_cols() -> tuple[Any, ...]:
    return (
        MrrMovement.account_id,
        MrrMovement.livemode,
        MrrMovement.day,
        MrrMovement.currency,
        MrrMovement.customer_id,
    )


def movements_at(session: Session, keys: Collection[MovementKey]) -> list[MrrMovement]:
    if not keys:
        return []
    stmt = select(MrrMovement).where(tuple_(*_movement_cols()).in_(list(keys)))
    return list(session.scalars(stmt))


def replace_movements(
    session: Session, gone: Collection[MovementKey], rows: Sequence[dict[str, Any]]
) -> None:
    """Delete the movements of `gone` and write `rows` (a key's new movement)."""
    if gone:
        stmt = delete(MrrMovement).where(tuple_(*_movement_cols()).in_(list(gone)))
        session.execute(stmt.execution_options(synchronize_session=False))
    if rows:
        insert = _dialect(session).insert(MrrMovement)
        stmt = insert.on_conflict_do_update(
            index_elements=["account_id", "livemode", "day", "currency", "customer_id"],
            set_={"type": insert.excluded.type, "amount": insert.excluded.amount},
        )
        session.execute(stmt, list(rows))


def add_to_totals(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add each row's amounts and counts to its day's totals (made if missing); then drop
    the touched days left at zero, so folding in pieces leaves what one fold leaves."""
    if not rows:
        return
    table = MetricRollupDaily.__table__
    insert = _dialect(session).insert(MetricRollupDaily)
    stmt = insert.on_conflict_do_update(
        index_elements=["account_id", "livemode", "day", "currency"],
        set_={name: table.c[name] + insert.excluded[name] for name in TOTALS},
    )
    session.execute(stmt, list(rows))
    keys = [(r["account_id"], r["livemode"], r["day"], r["currency"]) for r in rows]
    cols = (
        MetricRollupDaily.account_id,
        MetricRollupDaily.livemode,
        MetricRollupDaily.day,
        MetricRollupDaily.currency,
    )
    empty = and_(*(table.c[name] == 0 for name in TOTALS))
    session.execute(
        delete(MetricRollupDaily)
        .where(tuple_(*cols).in_(keys), empty)
        .execution_options(synchronize_session=False)
    )


def clear(session: Session, tenant: Tenant | None) -> None:
    """Forget the rollups (of one tenant, or all) before a rebuild."""
    for model in (MetricCustomerState, MrrMovement, MetricRollupDaily):
        stmt = delete(model)
        if tenant is not None:
            stmt = stmt.where(
                model.account_id == tenant.account_id, model.livemode == tenant.livemode
            )
        session.execute(stmt.execution_options(synchronize_session=False))


def totals(
    session: Session, tenant: Tenant, until: date, currency: str | None
) -> Sequence[MetricRollupDaily]:
    """The tenant's daily totals up to `until`, by day (the MRR of a day sums them)."""
    stmt = select(MetricRollupDaily).where(
        MetricRollupDaily.account_id == tenant.account_id,
        MetricRollupDaily.livemode == tenant.livemode,
        MetricRollupDaily.day <= until,
    )
    if currency is not None:
        stmt = stmt.where(MetricRollupDaily.currency == currency)
    return session.scalars(stmt.order_by(MetricRollupDaily.day)).all()


def movements_between(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    currency: str | None,
    customers: Collection[str] | None = None,
) -> Sequence[MrrMovement]:
    """The tenant's customer movements of days in [start, end]."""
    stmt = select(MrrMovement).where(
        MrrMovement.account_id == tenant.account_id,
        MrrMovement.livemode == tenant.livemode,
        MrrMovement.day >= start,
        MrrMovement.day <= end,
    )
    if currency is not None:
        stmt = stmt.where(MrrMovement.currency == currency)
    if customers is not None:
        stmt = stmt.where(MrrMovement.customer_id.in_(list(customers)))
    return session.scalars(stmt.order_by(MrrMovement.day, MrrMovement.customer_id)).all()


def customers_in(session: Session, tenant: Tenant, country: str) -> set[str]:
    stmt = tenant.scope(select(Customer.id), Customer).where(Customer.country == country)
    return set(session.scalars(stmt))


def count_by_status(session: Session, tenant: Tenant, currency: str | None) -> dict[str, int]:
    stmt = tenant.scope(select(Subscription.status, func.count()), Subscription)
    if currency is not None:
        stmt = stmt.where(Subscription.currency == currency)
    rows = session.execute(stmt.group_by(Subscription.status)).all()
    return {status: count for status, count in sorted(rows)}
