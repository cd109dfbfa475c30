from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from recura.db.base import ID, Base, JSONType, TenantColumns


def _bytewise(length: int | None) -> TypeEngine[str]:
    """Text of at most `length` characters, compared byte by byte on PostgreSQL."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class UsageEvent(TenantColumns, Base):
    """One usage event, append-only. `transaction_id` is the sender's key: a second event
    with the same one (per account and mode) is a duplicate and is dropped.

    No foreign keys, unlike every other table: ingestion checks a batch's customers in one
    query, and per-row key checks were most of what PostgreSQL spent on the hot path.
    Customers are archived, never deleted, so nothing can point nowhere.

    The primary key is the duplicate check itself, (account, mode, transaction_id): one index
    fewer to write per event than a key on `id` beside a unique constraint. `id` stays the
    event's name in the API and the tie-break among events at the same instant.

    The keys of both indexes compare byte by byte on PostgreSQL (`COLLATE "C"`): they are
    identifiers, never sorted for people, and comparing them under the database's locale
    was about a tenth of what an insert cost. Nothing joins them to another table's text,
    whose collation they would conflict with; they are only compared with values sent.
    """

    __tablename__ = "usage_events"
    __table_args__ = (
        Index(
            "ix_usage_events_account_id_customer_id_code_timestamp",
            "account_id",
            "customer_id",
            "code",
            "timestamp",
        ),
    )

    account_id: Mapped[str] = mapped_column(_bytewise(ID.length), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    transaction_id: Mapped[str] = mapped_column(_bytewise(255), primary_key=True)
    id: Mapped[str] = mapped_column(ID)
    customer_id: Mapped[str] = mapped_column(_bytewise(ID.length))
    code: Mapped[str] = mapped_column(_bytewise(64))
    timestamp: Mapped[datetime]
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType)
