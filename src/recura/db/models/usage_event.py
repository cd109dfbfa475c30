from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class UsageEvent(TenantColumns, Base):
    """One usage event, append-only. `transaction_id` is the sender's key: a second event
    with the same one (per account and mode) is a duplicate and is dropped.

    No foreign keys, unlike every other table: ingestion checks a batch's customers in one
    query, and per-row key checks were most of what PostgreSQL spent on the hot path.
    Customers are archived, never deleted, so nothing can point nowhere.
    """

    __tablename__ = "usage_events"
    __table_args__ = (
        UniqueConstraint("account_id", "livemode", "transaction_id"),
        Index(
            "ix_usage_events_account_id_customer_id_code_timestamp",
            "account_id",
            "customer_id",
            "code",
            "timestamp",
        ),
    )

    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID)
    code: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[str] = mapped_column(String(255))
    timestamp: Mapped[datetime]
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType)
