from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class Announcement(TenantColumns, Base):
    """Short news for subscribers, shown in the portal once published and until it ends,
    to those it targets: customers with a subscription of one of `product_ids`, of one of
    `plan_ids`, in one of `statuses` (each list empty: any).

    With `email`, publishing also emails every targeted customer who did not opt out of
    marketing: the worker writes their emails in chunks (`email_status` pending, then
    done), `email_cursor` the last customer written, in the transaction that wrote them,
    so each is written once however often the work is cut short and resumed.
    """

    __tablename__ = "announcements"
    __table_args__ = (
        # The worker finds announcements still being emailed without reading the others.
        Index("ix_announcements_email_status", "email_status"),
    )

    # {"en": {"title": ..., "body": Markdown}, "ro": {...}}: at least one language.
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSONType)
    product_ids: Mapped[list[str]] = mapped_column(JSONType)
    plan_ids: Mapped[list[str]] = mapped_column(JSONType)
    statuses: Mapped[list[str]] = mapped_column(JSONType)
    email: Mapped[bool] = mapped_column(Boolean)
    published_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    # The `announcement.published` event: its emails are written under its id.
    published_event_id: Mapped[str | None] = mapped_column(ID)
    # null: no emails to write; "pending": being written; "done".
    email_status: Mapped[str | None] = mapped_column(String(16))
    email_cursor: Mapped[str | None] = mapped_column(ID)
    emails_written: Mapped[int] = mapped_column(Integer)
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
