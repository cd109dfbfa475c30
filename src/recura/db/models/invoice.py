from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class Invoice(TenantColumns, Base):
    """An invoice: draft → open → paid / void / uncollectible.

    The unique (subscription, period start, reason) makes a second invoice for the same
    billing event impossible, whatever runs twice. `number` is assigned, gapless per series,
    only when the invoice is finalised.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("account_id", "subscription_id", "period_start", "reason"),
        UniqueConstraint("account_id", "livemode", "number"),
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        ForeignKeyConstraint(
            ["account_id", "subscription_id"], ["subscriptions.account_id", "subscriptions.id"]
        ),
        Index("ix_invoices_account_id_customer_id", "account_id", "customer_id"),
        # The collector's work: invoices whose next charge attempt is due.
        Index("ix_invoices_next_payment_attempt_at", "next_payment_attempt_at"),
        # Engagement's at-risk list: the few open invoices, by customer, without the history.
        Index(
            "ix_invoices_open_by_customer",
            "account_id",
            "livemode",
            "customer_id",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # Bank transfers are matched by reference; only sent invoices have one.
        Index(
            "ix_invoices_account_id_livemode_payment_reference",
            "account_id",
            "livemode",
            "payment_reference",
            unique=True,
            sqlite_where=text("payment_reference IS NOT NULL"),
            postgresql_where=text("payment_reference IS NOT NULL"),
        ),
    )

    # No key of its own to accounts: the one to customers, which starts with account_id,
    # already proves the account exists (one check less per invoice of a billing run).
    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID)
    subscription_id: Mapped[str | None] = mapped_column(ID)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    series: Mapped[str | None] = mapped_column(String(16))
    number: Mapped[str | None] = mapped_column(String(40))
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    tax_inclusive: Mapped[bool] = mapped_column(Boolean)
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount_total: Mapped[int] = mapped_column(BigInteger)
    tax_total: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    credit_applied: Mapped[int] = mapped_column(BigInteger)
    amount_due: Mapped[int] = mapped_column(BigInteger)
    amount_paid: Mapped[int] = mapped_column(BigInteger)
    # Credit notes issued against it, tax included; never more than `total`.
    amount_credited: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # One entry per VAT rate: {"rate": "21", "net": 4050, "tax": 850}, "net" excluding the
    # tax (the breakdown's taxable amount); older rows also hold an unread "taxable".
    tax_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    # Discounts as applied: [{"description": "WELCOME20 (20% off)", "amount": 980}].
    discounts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, server_default="[]")
    collection_method: Mapped[str] = mapped_column(String(24))
    due_at: Mapped[datetime | None]
    # Collection: charge attempts made so far, when the next one is due (null: none is
    # planned), and the ISO 11649 reference a bank transfer must quote.
    attempt_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # The first failed attempt: retries are counted in days from here.
    first_failed_at: Mapped[datetime | None]
    next_payment_attempt_at: Mapped[datetime | None]
    payment_reference: Mapped[str | None] = mapped_column(String(35))
    # The VAT in the seller's national currency when the document is in another (BT-6,
    # BT-111): the currency, the rate used (1 document currency = rate national) and the
    # VAT total converted. Set once, when the documents are made (invoices/tax_currency.py).
    tax_currency: Mapped[str | None] = mapped_column(String(3))
    tax_exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(20, 10))
    tax_total_in_tax_currency: Mapped[int | None] = mapped_column(BigInteger)
    finalized_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
