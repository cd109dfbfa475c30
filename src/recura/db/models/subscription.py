from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class Subscription(TenantColumns, Base):
    """A customer's subscription to one plan version.

    Periods are computed from `billing_anchor` (never from the previous period's end);
    `next_action_at` is when the worker must next look at it (renewal, trial end, scheduled
    change), indexed so due work is found without scanning. Whoever changes a subscription
    holds its row lock (SELECT … FOR UPDATE) until commit: the worker's claim skips locked
    rows, and a request waits for the worker's batch.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        ForeignKeyConstraint(["account_id", "plan_id"], ["plans.account_id", "plans.id"]),
        ForeignKeyConstraint(
            ["account_id", "plan_version_id"], ["plan_versions.account_id", "plan_versions.id"]
        ),
        ForeignKeyConstraint(["account_id", "coupon_id"], ["coupons.account_id", "coupons.id"]),
        Index("ix_subscriptions_next_action_at", "next_action_at"),
        Index("ix_subscriptions_account_id_customer_id", "account_id", "customer_id"),
        # Subscribers by status (the dashboard) count this index, not the rows: at a
        # million subscriptions the table's scan took most of the dashboard's time.
        Index("ix_subscriptions_status", "account_id", "livemode", "currency", "status"),
        # Renewals a week away are found by their date (the yearly plans' notices).
        Index("ix_subscriptions_current_period_end", "current_period_end"),
        # Engagement's at-risk list: the subscriptions set to cancel, few among the many.
        Index(
            "ix_subscriptions_cancel_scheduled",
            "account_id",
            "livemode",
            "customer_id",
            sqlite_where=text("cancel_at_period_end"),
            postgresql_where=text("cancel_at_period_end"),
        ),
    )

    customer_id: Mapped[str] = mapped_column(ID)
    plan_id: Mapped[str] = mapped_column(ID)
    plan_version_id: Mapped[str] = mapped_column(ID)
    # 24 for `incomplete_expired`. SQLite keeps a string whole whatever length its column
    # declares, and changing the declaration would mean rebuilding the table under every
    # foreign key that points at it: there it stays as first made.
    status: Mapped[str] = mapped_column(String(24).with_variant(String(16), "sqlite"))
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    interval_unit: Mapped[str] = mapped_column(String(8))
    interval_count: Mapped[int] = mapped_column(Integer)
    alignment: Mapped[str] = mapped_column(String(16))
    # The account's time zone when the subscription started: its periods stay where they
    # were sold even if the account later moves.
    timezone: Mapped[str] = mapped_column(String(64))
    billing_anchor: Mapped[datetime]
    current_period_start: Mapped[datetime]
    current_period_end: Mapped[datetime]
    trial_end: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean)
    canceled_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    resume_at: Mapped[datetime | None]
    # A change waiting for its time: {"id": ..., "plan_version": ..., "quantity": ...,
    # "add_ons": [...]}; the lifecycle only knows its id and when it is due.
    pending_change: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    pending_change_at: Mapped[datetime | None]
    trial_notice_sent: Mapped[bool] = mapped_column(Boolean)
    # The period end whose renewal was announced (`invoice.upcoming`), so it is told once.
    renewal_notice_for: Mapped[datetime | None]
    # The discount: a coupon (maybe through a promotion code) for this many more periods;
    # null periods with a coupon means forever.
    coupon_id: Mapped[str | None] = mapped_column(ID)
    promotion_code_id: Mapped[str | None] = mapped_column(ID)
    discount_periods_left: Mapped[int | None] = mapped_column(Integer)
    # What the subscription adds to monthly recurring revenue now, in minor units; events
    # carry the difference when it changes.
    mrr: Mapped[int] = mapped_column(BigInteger)
    collection_method: Mapped[str] = mapped_column(String(24))
    next_action_at: Mapped[datetime | None]
    test_clock_id: Mapped[str | None] = mapped_column(ID)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSONType)
    updated_at: Mapped[datetime]
