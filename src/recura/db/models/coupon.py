from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, JSONType, TenantColumns


class Coupon(TenantColumns, Base):
    """A discount's terms: a percentage or fixed amounts per currency, for how many periods.

    The terms never change once created, because invoices already discounted refer to them.
    """

    __tablename__ = "coupons"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    percent_off: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    # [{"amount": 500, "currency": "RON"}, ...]; empty when percent_off is set.
    amounts_off: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    duration: Mapped[str] = mapped_column(String(16))
    duration_in_periods: Mapped[int | None] = mapped_column(Integer)
    max_redemptions: Mapped[int | None] = mapped_column(Integer)
    times_redeemed: Mapped[int] = mapped_column(Integer)
    redeem_by: Mapped[datetime | None]
    # Plan ids; empty means every plan.
    applies_to_plans: Mapped[list[str]] = mapped_column(JSONType)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSONType)
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
