from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class WebhookDelivery(TenantColumns, Base):
    """One event owed to one endpoint: written by the outbox's fan-out, then sent (and
    retried) until the endpoint accepts it or the schedule runs out.

    `next_attempt_at` is when a worker may take it: due for `pending`, and for `sending`
    the moment its worker counts as lost; empty once it has succeeded or failed.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("account_id", "endpoint_id", "event_id"),
        ForeignKeyConstraint(
            ["account_id", "endpoint_id"],
            ["webhook_endpoints.account_id", "webhook_endpoints.id"],
        ),
        ForeignKeyConstraint(["account_id", "event_id"], ["events.account_id", "events.id"]),
        Index("ix_webhook_deliveries_next_attempt_at", "next_attempt_at"),
        Index(
            "ix_webhook_deliveries_account_id_endpoint_id_status",
            "account_id",
            "endpoint_id",
            "status",
        ),
        # Pruning finds the finished deliveries by age.
        Index("ix_webhook_deliveries_status_updated_at", "status", "updated_at"),
    )

    endpoint_id: Mapped[str] = mapped_column(ID)
    event_id: Mapped[str] = mapped_column(ID)
    status: Mapped[str] = mapped_column(String(16))  # pending | sending | succeeded | failed
    attempt_count: Mapped[int] = mapped_column(Integer)
    # Attempts made before the last replay: the retry schedule restarts from there.
    replayed_after: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime]
