from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, JSONType, TenantColumns


class AddOn(TenantColumns, Base):
    """An extra priced item a subscription can carry, billed on the subscription's interval."""

    __tablename__ = "add_ons"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    pricing_model: Mapped[str] = mapped_column(String(24))
    prices: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
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
