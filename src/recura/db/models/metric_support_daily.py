from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MetricSupportDaily(Base):
    """Support requests opened on a day, how many have had their first answer, and those
    answers' waits summed (whole seconds); kept by the support service."""

    __tablename__ = "metric_support_daily"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[int] = mapped_column(BigInteger, default=0)
