from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MetricAcquisitionMonthly(Base):
    """The customers a month brought as new business (netted over the month), in one
    currency, counted per acquisition channel: CAC per channel reads a row per month and
    channel. A customer counts under the channel it has; changing it moves its counts
    (`rollups.rechannel`)."""

    __tablename__ = "metric_acquisitions_monthly"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    customers: Mapped[int] = mapped_column(Integer, default=0)
