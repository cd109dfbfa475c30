from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class SupportMessage(TenantColumns, Base):
    """One message of a support request's conversation, by the subscriber or the merchant.
    Messages are never changed: the thread is what each side read."""

    __tablename__ = "support_messages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "request_id"], ["support_requests.account_id", "support_requests.id"]
        ),
        # A request's thread, oldest first.
        Index("ix_support_messages_account_id_request_id_id", "account_id", "request_id", "id"),
    )

    request_id: Mapped[str] = mapped_column(ID)
    # "customer" | "merchant"
    author: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
