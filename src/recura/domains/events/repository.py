"""The events' queries: the list GET /v1/events pages through, the outbox's claim of
undispatched events, and what the emails read of earlier events."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from recura.db.models import Event
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant
from recura.domains.events.payloads import EventType


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    type_: str | None = None,
    object_id: str | None = None,
) -> Page[Event]:
    stmt = tenant.scope(select(Event), Event)
    if type_ is not None:
        # "invoice.*" lists every invoice event.
        if type_.endswith(".*"):
            stmt = stmt.where(Event.type.startswith(type_[:-1]))
        else:
            stmt = stmt.where(Event.type == type_)
    if object_id is not None:
        stmt = stmt.where(Event.object_id == object_id)
    return paginate(session, stmt, Event, limit, starting_after)


def of_objects(
    session: Session, tenant: Tenant, object_ids: Collection[str], limit: int
) -> list[Event]:
    """The newest events about any of these objects (`ix_events_account_id_object_id`)."""
    if not object_ids:
        return []
    stmt = tenant.scope(select(Event), Event).where(Event.object_id.in_(list(object_ids)))
    return list(session.scalars(stmt.order_by(Event.id.desc()).limit(limit)))


def lock_undispatched(session: Session, limit: int) -> list[Event]:
    """Up to `limit` events not dispatched yet, of every account, oldest first, FOR UPDATE
    SKIP LOCKED: several workers share the outbox."""
    stmt = (
        select(Event)
        .where(Event.dispatched_at.is_(None))
        .order_by(Event.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def mark_dispatched(session: Session, events: Sequence[Event], now: datetime) -> None:
    """The events dispatched at `now`: one UPDATE per account among them."""
    keys = [(e.account_id, e.id) for e in events]
    for account_id in {a for a, _ in keys}:
        ids = [i for a, i in keys if a == account_id]
        session.execute(
            update(Event)
            .where(Event.account_id == account_id, Event.id.in_(ids))
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )


def first_payment_failures(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """(account, invoice) -> the id of the invoice's first `invoice.payment_failed` event,
    for the invoices of (account, invoice) `keys`: one query per account."""
    found: dict[tuple[str, str], str] = {}
    for account_id in {a for a, _ in keys}:
        stmt = (
            select(Event.object_id, func.min(Event.id))
            .where(
                Event.account_id == account_id,
                Event.type == EventType.INVOICE_PAYMENT_FAILED,
                Event.object_id.in_([i for a, i in keys if a == account_id]),
            )
            .group_by(Event.object_id)
        )
        found |= {(account_id, i): first for i, first in session.execute(stmt)}
    return found
