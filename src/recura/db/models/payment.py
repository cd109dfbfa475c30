from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class Payment(TenantColumns, Base):
    """One attempt to collect an invoice, or one bank transfer received for it.

    A charge attempt is written, and committed, before the processor is called; its key is
    derived from (invoice, attempt), so however often the call is repeated after a timeout
    or a crash, the processor charges once. `processing` and `unknown` attempts are settled
    by asking the processor, never by charging again under a new key.
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("account_id", "invoice_id", "attempt"),
        ForeignKeyConstraint(["account_id", "invoice_id"], ["invoices.account_id", "invoices.id"]),
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        Index("ix_payments_account_id_customer_id", "account_id", "customer_id"),
        # One payment per processor payment, whatever order or how often its news arrives;
        # a bank transfer (one statement entry) may pay several invoices.
        Index(
            "uq_payments_processor_reference",
            "account_id",
            "gateway",
            "reference",
            unique=True,
            sqlite_where=text("gateway <> 'bank_transfer'"),
            postgresql_where=text("gateway <> 'bank_transfer'"),
        ),
        # The reconciler's work: attempts whose outcome is not known yet.
        Index("ix_payments_unsettled", "status", "updated_at"),
    )

    invoice_id: Mapped[str] = mapped_column(ID)
    customer_id: Mapped[str] = mapped_column(ID)
    payment_method_id: Mapped[str | None] = mapped_column(ID)
    gateway: Mapped[str] = mapped_column(String(16))
    # 1, 2, ... for charges; null for bank transfers, which the customer initiates.
    attempt: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # processing | succeeded | failed | requires_action | unknown
    status: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(255))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    action_url: Mapped[str | None] = mapped_column(String(2000))
    amount_refunded: Mapped[int] = mapped_column(BigInteger, server_default="0")
    amount_disputed: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # When the processor says the status last changed: an older webhook never undoes it.
    status_changed_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
