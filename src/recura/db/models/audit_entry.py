from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class AuditEntry(TenantColumns, Base):
    """One change made through the API (or the console, the portal): who, what, on which
    object, from where; written in the transaction of the change itself."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_account_id_target_id", "account_id", "target_id"),
        Index("ix_audit_entries_account_id_actor_id", "account_id", "actor_id"),
    )

    occurred_at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))  # user | api_key | system | subscriber
    actor_id: Mapped[str | None] = mapped_column(ID)
    actor_label: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(80))  # customer.update, subscription.cancel
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(200))
    # The request's Idempotency-Key (or X-Request-Id), to find a change again from a log.
    request_id: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(45))
    # For settings: {"field": {"before": ..., "after": ...}} of the fields that changed,
    # secrets masked.
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
