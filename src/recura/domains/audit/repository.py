"""The audit log's queries: one insert per change, and the filtered list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from recura.db.models import AuditEntry
from recura.db.unit_of_work import core_connection
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant

_TABLE: Table = AuditEntry.__table__  # type: ignore[assignment]  # typed as any FromClause
_INSERT = insert(_TABLE)


def insert_entry(session: Session, row: dict[str, Any]) -> None:
    # Core, not the ORM: the entry is written with every API write, and nothing reads it back.
    core_connection(session).execute(_INSERT, row)


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    *,
    actor_kind: str | None = None,
    actor_id: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    created_gte: datetime | None = None,
    created_lt: datetime | None = None,
) -> Page[AuditEntry]:
    stmt = tenant.scope(select(AuditEntry), AuditEntry)
    if actor_kind is not None:
        stmt = stmt.where(AuditEntry.actor_kind == actor_kind)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        # "subscription.*" lists every action on subscriptions, as events' types do.
        if action.endswith(".*"):
            stmt = stmt.where(AuditEntry.action.startswith(action[:-1], autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == action)
    if target_type is not None:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if created_gte is not None:
        stmt = stmt.where(AuditEntry.occurred_at >= created_gte)
    if created_lt is not None:
        stmt = stmt.where(AuditEntry.occurred_at < created_lt)
    return paginate(session, stmt, AuditEntry, limit, starting_after)
