from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class PaymentMethod(TenantColumns, Base):
    """A card or PayPal account that the processor keeps for us.

    Only what identifies and describes it is stored here: `reference` is the processor's
    token; card numbers never reach Recura.
    """

    __tablename__ = "payment_methods"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "customer_id"], ["customers.account_id", "customers.id"]
        ),
        Index("ix_payment_methods_account_id_customer_id", "account_id", "customer_id"),
        # Cards about to expire are found by their expiry month, once each.
        Index("ix_payment_methods_expires_on", "expires_on", "expiring_notified_at"),
    )

    customer_id: Mapped[str] = mapped_column(ID)
    gateway: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(255))
    processor_customer: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    brand: Mapped[str | None] = mapped_column(String(32))
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    # The first instant the card no longer works (the start of the month after its expiry,
    # UTC); null for methods that do not expire.
    expires_on: Mapped[datetime | None]
    email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))  # active | detached
    expiring_notified_at: Mapped[datetime | None]
    detached_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
