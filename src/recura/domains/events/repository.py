"""The events' queries: the list GET /v1/events pages through, and the outbox's claim of
undispatched events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from recura.db.models import Event
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


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
