from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class BalanceEntry(TenantColumns, Base):
    """One movement of a customer's credit balance; the balance is their sum per currency.

    Positive amounts give the customer credit (a downgrade's unused time, a credit note),
    negative ones use it (applied to an invoice). Entries are never changed or deleted.
    """

    __tablename__ = "balance_entries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        Index("ix_balance_entries_account_id_customer_id", "account_id", "customer_id"),
    )

    customer_id: Mapped[str] = mapped_column(ID)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(24))
    invoice_id: Mapped[str | None] = mapped_column(ID)
    credit_note_id: Mapped[str | None] = mapped_column(ID)
    description: Mapped[str] = mapped_column(String(500))
