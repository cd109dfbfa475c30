from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class CreditNote(TenantColumns, Base):
    """A full or partial credit against a finalised invoice, numbered in its own series.

    An open invoice's amount due falls by the credit; a paid one's credit goes to the
    customer's balance.
    """

    __tablename__ = "credit_notes"
    __table_args__ = (
        UniqueConstraint("account_id", "livemode", "number"),
        ForeignKeyConstraint(["account_id", "invoice_id"], ["invoices.account_id", "invoices.id"]),
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        Index("ix_credit_notes_account_id_invoice_id", "account_id", "invoice_id"),
    )

    invoice_id: Mapped[str] = mapped_column(ID)
    customer_id: Mapped[str] = mapped_column(ID)
    number: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    # Net of tax, the tax, and their sum: what the customer is credited.
    subtotal: Mapped[int] = mapped_column(BigInteger)
    tax_total: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    # Of `total`: taken off the invoice's amount due, and put on the customer's balance.
    # The VAT in the seller's national currency when the document is in another (BT-6,
    # BT-111): the currency, the rate used (1 document currency = rate national) and the
    # VAT total converted. Set once, when the documents are made (invoices/tax_currency.py).
    tax_currency: Mapped[str | None] = mapped_column(String(3))
    tax_exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(20, 10))
    tax_total_in_tax_currency: Mapped[int | None] = mapped_column(BigInteger)
    applied_to_invoice: Mapped[int] = mapped_column(BigInteger)
    credited_to_balance: Mapped[int] = mapped_column(BigInteger)
    # Of `total`: paid back to the customer (a refund), neither on the invoice nor the balance.
    refunded: Mapped[int] = mapped_column(BigInteger, server_default="0")
    reason: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str | None] = mapped_column(String(500))
    # [{"invoice_line": "il_…", "description": ..., "amount": 1000, "tax_rate": "21"}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
