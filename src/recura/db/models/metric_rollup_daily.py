from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MetricRollupDaily(Base):
    """One day's MRR movements in one currency, summed: amount and customers per type.

    No running total is stored: a change folded late (a test clock's customer, whose days
    run ahead) would leave every later day's total wrong. MRR on a day is the sum of the
    nets up to it, a sum over one row per day with movements.
    """

    __tablename__ = "metric_rollups_daily"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    new: Mapped[int] = mapped_column(BigInteger, default=0)
    expansion: Mapped[int] = mapped_column(BigInteger, default=0)
    contraction: Mapped[int] = mapped_column(BigInteger, default=0)
    churn: Mapped[int] = mapped_column(BigInteger, default=0)
    reactivation: Mapped[int] = mapped_column(BigInteger, default=0)
    new_customers: Mapped[int] = mapped_column(Integer, default=0)
    expansion_customers: Mapped[int] = mapped_column(Integer, default=0)
    contraction_customers: Mapped[int] = mapped_column(Integer, default=0)
    churn_customers: Mapped[int] = mapped_column(Integer, default=0)
    reactivation_customers: Mapped[int] = mapped_column(Integer, default=0)
