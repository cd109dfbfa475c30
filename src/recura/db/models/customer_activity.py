from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class CustomerActivity(TenantColumns, Base):
    """A customer was active on a day (UTC), with a feature: one row per (customer, day,
    feature) counting the pings and usage events, so a million pings a day stay a row per
    active customer and feature. `feature` is "" for a ping that names none; a usage event
    counts under its code.

    No foreign key to customers, as usage events have none: ingestion checks its batch's
    customers in one query, a ping checks its customer, and customers are never deleted.
    """

    __tablename__ = "customer_activity"
    __table_args__ = (
        UniqueConstraint(
            "account_id",
            "livemode",
            "customer_id",
            "day",
            "feature",
            name="uq_customer_activity_customer_day_feature",
        ),
        # The windows read (a day, a week, a month, the at-risk 6 weeks) by day.
        Index("ix_customer_activity_account_id_livemode_day", "account_id", "livemode", "day"),
    )

    customer_id: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    feature: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger)
    last_at: Mapped[datetime]
