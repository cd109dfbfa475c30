from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns

FOLDED = "mrr_delta <> 0 OR type IN ('subscription.updated', 'subscription.renewed')"
DOCUMENTS = "type IN ('invoice.finalized', 'credit_note.created')"
FUNNELS = "type IN ('subscription.updated', 'subscription.past_due', 'subscription.canceled')"


class Event(TenantColumns, Base):
    """A domain event, written in the transaction that caused it; also the outbox:
    webhooks and emails are sent from here after commit (`dispatched_at` marks it done)."""

    __tablename__ = "events"
    __table_args__ = (
        # The outbox's queue: only events not dispatched yet, in the order it takes them
        # (an index of every event made each claim sort the whole table's undispatched).
        Index(
            "ix_events_undispatched",
            "id",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
        Index("ix_events_account_id_object_id", "account_id", "object_id"),
        # The metrics fold reads the events that changed MRR in id order, past its cursor,
        # and the subscription updates that did not (a cancellation scheduled for the
        # period end counts as churn when the account counts churn at cancellation).
        Index(
            "ix_events_mrr_changes",
            "id",
            sqlite_where=text(FOLDED),
            postgresql_where=text(FOLDED),
        ),
        # The funnel fold reads the subscription events that end trials, enter and leave
        # dunning, and stop a subscription paying, in id order past its cursor.
        Index(
            "ix_events_funnel_changes",
            "id",
            sqlite_where=text(FUNNELS),
            postgresql_where=text(FUNNELS),
        ),
        # The e-invoice maker reads finalised invoices and new credit notes past its cursor.
        Index(
            "ix_events_documents",
            "id",
            sqlite_where=text(DOCUMENTS),
            postgresql_where=text(DOCUMENTS),
        ),
    )

    type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(ID)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The change in monthly recurring revenue this event causes, in minor units.
    mrr_delta: Mapped[int] = mapped_column(BigInteger)
    mrr_currency: Mapped[str | None] = mapped_column(String(3))
    occurred_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    # Who caused it (domains/common/actor.py): events of the worker are the system's.
    actor_kind: Mapped[str] = mapped_column(String(16), server_default="system")
    actor_id: Mapped[str | None] = mapped_column(ID)
    actor_label: Mapped[str] = mapped_column(String(400), server_default="system")
