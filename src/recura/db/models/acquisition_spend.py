from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class AcquisitionSpend(TenantColumns, Base):
    """What the merchant spent on one acquisition channel in one month, in one currency
    (amounts of different currencies are separate rows, never added together)."""

    __tablename__ = "acquisition_spend"
    __table_args__ = (
        UniqueConstraint(
            "account_id",
            "livemode",
            "month",
            "channel",
            "currency",
            name="uq_acquisition_spend_month_channel_currency",
        ),
        Index(
            "ix_acquisition_spend_account_id_livemode_channel", "account_id", "livemode", "channel"
        ),
    )

    month: Mapped[date] = mapped_column(Date)  # its first day
    channel: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime]
