from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class PlanVersion(TenantColumns, Base):
    """A plan's commercial terms at one time. Never edited: a price change adds a version,
    and subscriptions keep the version they bought until migrated."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("account_id", "plan_id", "version"),
        ForeignKeyConstraint(["account_id", "plan_id"], ["plans.account_id", "plans.id"]),
    )

    plan_id: Mapped[str] = mapped_column(ID)
    version: Mapped[int] = mapped_column(Integer)
    pricing_model: Mapped[str] = mapped_column(String(24))
    # One price per currency, shaped as domains.common.prices.PriceIn.
    prices: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    setup_fees: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    min_quantity: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    max_quantity: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
