from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class CustomerNote(TenantColumns, Base):
    """A support note an operator wrote about a customer ("called: card expired"), for the
    team to read on the customer's page. Notes are never changed; each one's writing is
    also an audit entry (`customer.support_note`)."""

    __tablename__ = "customer_notes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        # A customer's notes, newest first.
        Index("ix_customer_notes_account_id_customer_id_id", "account_id", "customer_id", "id"),
    )

    customer_id: Mapped[str] = mapped_column(ID)
    # The user who wrote it, and their name then: a user removed later leaves the name.
    author_id: Mapped[str | None] = mapped_column(ID)
    author_name: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(String(1000))
