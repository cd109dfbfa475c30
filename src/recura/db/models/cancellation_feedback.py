from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns

OFFERED = text("offer_kind IS NOT NULL")


class CancellationFeedback(TenantColumns, Base):
    """One cancellation flow of a subscription: the reason the subscriber gave, the
    retention offer they were shown (if any) and what came of it, and whether they left.

    A subscription is shown an offer once: the partial unique index holds even when two
    flows of one subscription race.
    """

    __tablename__ = "cancellation_feedback"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "subscription_id"], ["subscriptions.account_id", "subscriptions.id"]
        ),
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        Index(
            "ix_cancellation_feedback_offered_once",
            "account_id",
            "subscription_id",
            unique=True,
            sqlite_where=OFFERED,
            postgresql_where=OFFERED,
        ),
        Index(
            "ix_cancellation_feedback_account_id_subscription_id", "account_id", "subscription_id"
        ),
    )

    subscription_id: Mapped[str] = mapped_column(ID)
    customer_id: Mapped[str] = mapped_column(ID)
    # One of the account's reason codes, and the subscriber's own words; both optional.
    reason: Mapped[str | None] = mapped_column(String(64))
    reason_text: Mapped[str | None] = mapped_column(String(1000))
    # The offer as it was shown: its kind ("coupon", "pause", "plan") and its terms then.
    offer_kind: Mapped[str | None] = mapped_column(String(16))
    offer: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # pending (shown, not answered yet), accepted, declined or not_offered.
    outcome: Mapped[str] = mapped_column(String(16))
    canceled: Mapped[bool] = mapped_column(Boolean)
    # When access ends, once the flow canceled the subscription.
    access_ends_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
