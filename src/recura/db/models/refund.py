from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class Refund(TenantColumns, Base):
    """Money sent back for a payment, with the credit note that records it on the invoice."""

    __tablename__ = "refunds"
    __table_args__ = (
        ForeignKeyConstraint(["account_id", "payment_id"], ["payments.account_id", "payments.id"]),
        ForeignKeyConstraint(
            ["account_id", "credit_note_id"], ["credit_notes.account_id", "credit_notes.id"]
        ),
        Index("ix_refunds_account_id_payment_id", "account_id", "payment_id"),
        UniqueConstraint("account_id", "gateway", "reference"),
        Index("ix_refunds_unsettled", "status", "updated_at"),
    )

    payment_id: Mapped[str] = mapped_column(ID)
    invoice_id: Mapped[str] = mapped_column(ID)
    credit_note_id: Mapped[str | None] = mapped_column(ID)
    gateway: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # pending | succeeded | failed | unknown
    reference: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime]
