from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class Dispute(TenantColumns, Base):
    """A chargeback the customer's bank opened against a payment, as the processor reports it."""

    __tablename__ = "disputes"
    __table_args__ = (
        ForeignKeyConstraint(["account_id", "payment_id"], ["payments.account_id", "payments.id"]),
        UniqueConstraint("account_id", "gateway", "reference"),
    )

    payment_id: Mapped[str] = mapped_column(ID)
    gateway: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    status_changed_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # When the processor took the disputed money from the merchant's balance, and gave it back.
    funds_withdrawn_at: Mapped[datetime | None]
    funds_reinstated_at: Mapped[datetime | None]
    # The processor's deadline for the merchant's evidence, when it said one.
    respond_by: Mapped[datetime | None]
    updated_at: Mapped[datetime]
