"""The audit log: who changed what, written in the transaction of the change.

The API writes one entry per successful write request where the request commits
(api/audit_trail.py); settings services add what they changed (`changes.note`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import AuditEntry
from recura.domains.audit import changes, repository
from recura.domains.audit.schemas import ActorOut, AuditEntryOut
from recura.domains.common import lookup
from recura.domains.common.actor import Actor
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.ids import new_id

MAX_REQUEST_ID = 255


def record(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | None,
    at: datetime,
    *,
    request_id: str | None = None,
    ip: str | None = None,
) -> str:
    """Write one entry, with the changes noted on `session` since the last one; its id."""
    entry_id = new_id("audit_entry")
    repository.insert_entry(
        session,
        {
            **tenant.row_keys(),
            "id": entry_id,
            "created_at": at,
            "occurred_at": at,
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "actor_label": actor.label[:400],
            "action": action,
            "target_type": target_type,
            "target_id": None if target_id is None else target_id[:200],
            "request_id": None if request_id is None else request_id[:MAX_REQUEST_ID],
            "ip": None if ip is None else ip[:45],
            "changes": changes.take(session),
        },
    )
    return entry_id


def get(session: Session, tenant: Tenant, entry_id: str) -> AuditEntry:
    return lookup.require(session, tenant, AuditEntry, entry_id, "audit entry")


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
    return repository.page(
        session,
        tenant,
        limit,
        starting_after,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        created_gte=created_gte,
        created_lt=created_lt,
    )


def entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        occurred_at=entry.occurred_at,
        actor=ActorOut(
            kind=entry.actor_kind,
            id=entry.actor_id,
            label=entry.actor_label,
        ),
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        request_id=entry.request_id,
        ip=entry.ip,
        changes=entry.changes,
        livemode=entry.livemode,
    )
