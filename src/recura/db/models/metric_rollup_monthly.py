from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MetricRollupMonthly(Base):
    """One calendar month's customer movements in one currency, each customer netted over
    the month (`core.metrics.MonthMovement`), summed per cohort (the month its customers
    first moved): amount and customers per type, and how many joined. A month's flow
    (churn, LTV, CAC) and a cohort's row are sums over these, whatever the customers.

    Summed the four ways the daily totals are (every customer, per country, per
    acquisition channel, per both). No running total is stored, for the reason the daily totals have
    none.
    """

    __tablename__ = "metric_rollups_monthly"
    __table_args__ = (
        PrimaryKeyConstraint(
            "account_id", "livemode", "scope", "country", "channel", "currency", "month", "cohort"
        ),
    )

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column()
    scope: Mapped[str] = mapped_column(ID)
    currency: Mapped[str] = mapped_column(String(3))
    month: Mapped[date] = mapped_column(Date)
    cohort: Mapped[date] = mapped_column(Date)
    country: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(40))
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
    joined: Mapped[int] = mapped_column(Integer, default=0)
