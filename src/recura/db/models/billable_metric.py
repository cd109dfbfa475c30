from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, JSONType, TenantColumns


class BillableMetric(TenantColumns, Base):
    """How usage events become a quantity: which events (code, filters), aggregated how."""

    __tablename__ = "billable_metrics"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    aggregation: Mapped[str] = mapped_column(String(16))
    field_name: Mapped[str | None] = mapped_column(String(64))
    filters: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
