from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class SupportRequest(TenantColumns, Base):
    """A question a subscriber asked from the portal, and where its conversation stands.

    `status` is `open` while the subscriber waits for an answer, `answered` when the
    merchant wrote last, `closed` when either side closed it. The messages are
    `support_messages` rows.
    """

    __tablename__ = "support_requests"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        ForeignKeyConstraint(["account_id", "invoice_id"], ["invoices.account_id", "invoices.id"]),
        ForeignKeyConstraint(
            ["account_id", "subscription_id"], ["subscriptions.account_id", "subscriptions.id"]
        ),
        # A customer's requests, newest first (the portal's list).
        Index("ix_support_requests_account_id_customer_id_id", "account_id", "customer_id", "id"),
        # The merchant's inbox: GET /v1/support_requests?status=open, newest first.
        Index("ix_support_requests_account_id_status_id", "account_id", "status", "id"),
        # The first-response metric: the requests opened in a range, from the index alone.
        Index(
            "ix_support_requests_account_id_livemode_created_at",
            "account_id",
            "livemode",
            "created_at",
            postgresql_include=["first_response_seconds"],
        ),
    )

    customer_id: Mapped[str] = mapped_column(ID)
    category: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    invoice_id: Mapped[str | None] = mapped_column(ID)
    subscription_id: Mapped[str | None] = mapped_column(ID)
    # The merchant's first reply: how long subscribers wait is measured to it.
    first_response_at: Mapped[datetime | None]
    # Its wait in whole seconds (`core.funnels.wait_seconds`), so the first-response
    # metric is counted and ranked by the database.
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None]
    # "customer" | "merchant" while closed.
    closed_by: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime]
