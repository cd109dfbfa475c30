from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class Feature(TenantColumns, Base):
    """An entitlement definition: a switch (boolean), a number (limit) or metered usage."""

    __tablename__ = "features"
    __table_args__ = (
        UniqueConstraint("account_id", "livemode", "code"),
        ForeignKeyConstraint(
            ["account_id", "billable_metric_id"],
            ["billable_metrics.account_id", "billable_metrics.id"],
        ),
    )

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(16))
    billable_metric_id: Mapped[str | None] = mapped_column(ID)
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
