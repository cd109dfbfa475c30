from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class PortalSession(TenantColumns, Base):
    """A subscriber's way into the portal: first a link (emailed on request, or made by the
    merchant's API call) that works once before `link_expires_at`; once used, a browser
    session whose cookie carries the id and a secret kept here only as its hash."""

    __tablename__ = "portal_sessions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
    )

    customer_id: Mapped[str] = mapped_column(ID)
    origin: Mapped[str] = mapped_column(String(16))  # "email" (magic link) or "api"
    locale: Mapped[str | None] = mapped_column(String(16))
    return_url: Mapped[str | None] = mapped_column(String(2000))
    link_expires_at: Mapped[datetime]
    link_used_at: Mapped[datetime | None]
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
