from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class EmailChange(TenantColumns, Base):
    """A subscriber's request, made in the portal, to change their email address: the
    confirmation link sent to the new address works once (`confirmed_at`), before
    `expires_at`, and only for the signed-in customer it names."""

    __tablename__ = "email_changes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        Index("ix_email_changes_account_id_customer_id", "account_id", "customer_id"),
    )

    customer_id: Mapped[str] = mapped_column(ID)
    email: Mapped[str] = mapped_column(String(320))
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
