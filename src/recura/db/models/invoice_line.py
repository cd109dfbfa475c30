from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class InvoiceLine(TenantColumns, Base):
    """One line, stored as computed: `amount` was rounded once and is never recomputed."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        ForeignKeyConstraint(["account_id", "invoice_id"], ["invoices.account_id", "invoices.id"]),
        Index("ix_invoice_lines_account_id_invoice_id", "account_id", "invoice_id"),
    )

    # No key of its own to accounts: the one to invoices, which starts with account_id,
    # already proves the account exists (one check less per line of a billing run).
    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ID)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    unit_amount: Mapped[Decimal | None] = mapped_column(Numeric(28, 12))
    amount: Mapped[int] = mapped_column(BigInteger)
    discount_amount: Mapped[int] = mapped_column(BigInteger)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    # The VAT decision the rate came from (core/tax.py): EN 16931 category (S, AE, O, ...),
    # VATEX reason code and the catalog keys of its reason and further mentions; null on
    # lines made before it was kept.
    tax_category: Mapped[str | None] = mapped_column(String(2))
    tax_exemption_code: Mapped[str | None] = mapped_column(String(32))
    tax_exemption_key: Mapped[str | None] = mapped_column(String(64))
    tax_notes: Mapped[list[str] | None] = mapped_column(JSONType)
    # What the line sells (core.tax.Nature: electronic, services, goods), its plan's or
    # add-on's when it was issued: goods sent to another member state must say where they
    # go on the e-invoice. Null on lines issued before it was kept.
    supply_nature: Mapped[str | None] = mapped_column(String(16))
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    proration: Mapped[bool] = mapped_column(Boolean)
    # The plan a setup fee was charged for: a customer owes it once per plan. Read through
    # the customer's invoices (their index), so it needs none of its own.
    plan_id: Mapped[str | None] = mapped_column(ID)
