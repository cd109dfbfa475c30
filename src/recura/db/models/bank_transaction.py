from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class BankTransaction(TenantColumns, Base):
    """One entry of a statement (money in or out) and what it was matched to.

    Keyed by the entry's identity (Entry.entry_ref), so the same entry in two overlapping
    statements is counted once.
    """

    __tablename__ = "bank_transactions"
    __table_args__ = (
        UniqueConstraint("account_id", "livemode", "account_number", "entry_ref"),
        ForeignKeyConstraint(
            ["account_id", "statement_id"], ["bank_statements.account_id", "bank_statements.id"]
        ),
        Index("ix_bank_transactions_account_id_status", "account_id", "status"),
    )

    statement_id: Mapped[str] = mapped_column(ID)
    account_number: Mapped[str] = mapped_column(String(34))
    entry_ref: Mapped[str] = mapped_column(String(255))
    booked_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    references: Mapped[list[str]] = mapped_column(JSONType)
    remittance: Mapped[str] = mapped_column(String(1000))
    # The payer of a credit, the payee of a debit.
    counterparty_name: Mapped[str | None] = mapped_column(String(200))
    counterparty_iban: Mapped[str | None] = mapped_column(String(34))
    # Rows from before directions were kept were all read as credits.
    credit: Mapped[bool] = mapped_column(Boolean, server_default=true())
    # The bank's status code: BOOK, PDNG, INFO, FUTR or its own.
    entry_status: Mapped[str] = mapped_column(String(16), server_default="BOOK")
    # matched | partial | overpaid | unmatched | ignored (debits, pending entries) |
    # reversed (the money went back) | reversal (the entry that took it back)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    # [{"invoice": "inv_…", "payment": "pay_…", "amount": 4900}], and the excess credited.
    applied: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    to_balance: Mapped[int] = mapped_column(BigInteger, server_default="0")
    matched_at: Mapped[datetime | None]
    # A reversal's: the transaction whose money it took back.
    reversal_of: Mapped[str | None] = mapped_column(ID)
