from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class Plan(TenantColumns, Base):
    """A way to buy a product: interval and timing are fixed; prices live in plan versions."""

    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("account_id", "livemode", "code"),
        ForeignKeyConstraint(["account_id", "product_id"], ["products.account_id", "products.id"]),
    )

    product_id: Mapped[str] = mapped_column(ID)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    interval_unit: Mapped[str] = mapped_column(String(8))
    interval_count: Mapped[int] = mapped_column(Integer)
    billing_timing: Mapped[str] = mapped_column(String(16))
    trial_days: Mapped[int] = mapped_column(Integer)
    # The VAT rate category of what it sells (core.tax.RateKind): "standard", "reduced" or
    # "reduced_lower". It is the law's view of the supply, so it is not versioned with prices.
    tax_rate_kind: Mapped[str] = mapped_column(
        String(16), default="standard", server_default="standard"
    )
    # What it sells for VAT (core.tax.Nature): "electronic" (an electronically supplied
    # service, the default), "services" (other services) or "goods"; where a sale abroad is
    # taxed, and whether it is an intra-community supply, depend on it. Not versioned either.
    supply_nature: Mapped[str] = mapped_column(
        String(16), default="electronic", server_default="electronic"
    )
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSONType)
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
