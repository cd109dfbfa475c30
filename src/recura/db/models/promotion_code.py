from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class PromotionCode(TenantColumns, Base):
    """A code customers type (e.g. "PARTNER-ACME20") that applies a coupon, with its own limits.

    Codes are stored upper-cased so the unique constraint makes lookups case-insensitive.
    """

    __tablename__ = "promotion_codes"
    __table_args__ = (
        UniqueConstraint("account_id", "livemode", "code"),
        ForeignKeyConstraint(["account_id", "coupon_id"], ["coupons.account_id", "coupons.id"]),
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        Index("ix_promotion_codes_account_id_coupon_id", "account_id", "coupon_id"),
    )

    code: Mapped[str] = mapped_column(String(40))
    coupon_id: Mapped[str] = mapped_column(ID)
    active: Mapped[bool] = mapped_column(Boolean)
    max_redemptions: Mapped[int | None] = mapped_column(Integer)
    times_redeemed: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime | None]
    customer_id: Mapped[str | None] = mapped_column(ID)
    first_time_only: Mapped[bool] = mapped_column(Boolean)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSONType)
    updated_at: Mapped[datetime]
