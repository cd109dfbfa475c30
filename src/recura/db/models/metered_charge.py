from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKeyConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class MeteredCharge(TenantColumns, Base):
    """A metered charge of a plan version: usage of one billable metric, priced in arrears."""

    __tablename__ = "charges"
    __table_args__ = (
        UniqueConstraint("account_id", "plan_version_id", "billable_metric_id"),
        ForeignKeyConstraint(
            ["account_id", "plan_version_id"], ["plan_versions.account_id", "plan_versions.id"]
        ),
        ForeignKeyConstraint(
            ["account_id", "billable_metric_id"],
            ["billable_metrics.account_id", "billable_metrics.id"],
        ),
    )

    plan_version_id: Mapped[str] = mapped_column(ID)
    billable_metric_id: Mapped[str] = mapped_column(ID)
    position: Mapped[int] = mapped_column(Integer)
    pricing_model: Mapped[str] = mapped_column(String(24))
    prices: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
