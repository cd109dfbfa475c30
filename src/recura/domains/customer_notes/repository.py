from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recura.db.models import CustomerNote
from recura.domains.common.tenant import Tenant


def newest(session: Session, tenant: Tenant, customer_id: str, limit: int) -> list[CustomerNote]:
    """The customer's newest `limit` notes, newest first (ids sort by time)."""
    stmt = (
        tenant.scope(select(CustomerNote), CustomerNote)
        .where(CustomerNote.customer_id == customer_id)
        .order_by(CustomerNote.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def latest_of(
    session: Session, tenant: Tenant, customer_ids: Sequence[str]
) -> dict[str, CustomerNote]:
    """Each customer's newest note, for a list of customers: one statement, whatever the
    number of notes each has."""
    if not customer_ids:
        return {}
    last = (
        tenant.scope(select(func.max(CustomerNote.id)), CustomerNote)
        .where(CustomerNote.customer_id.in_(customer_ids))
        .group_by(CustomerNote.customer_id)
    )
    stmt = tenant.scope(select(CustomerNote), CustomerNote).where(CustomerNote.id.in_(last))
    return {note.customer_id: note for note in session.scalars(stmt)}
