from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base

# The dimension values of the row over every customer, and of a customer without a
# country or channel: a key column cannot hold NULL, and neither is a country code or a
# channel slug.
ALL = "*"
NONE = ""


class MetricRollupDaily(Base):
    """One day's MRR movements in one currency, summed: amount and customers per type.

    Summed four ways, told apart by `country` and `channel`: over every customer (both
    `ALL`), per country (channel `ALL`), per acquisition channel (country `ALL`), and per
    both (`NONE` for a customer without one). Every read, filtered or not, names both
    and reads a row per day; a customer's movements are counted under its country and
    channel as they are now (`rollups.move_customer` moves them when they change).

    And summed per `scope`: `ALL` counts each customer's movements over all its
    subscriptions; a plan's (or product's) id counts the movements its customers would
    have if they had only their subscriptions of that plan (or product), folded apart
    (`rollups`), so a plan or product filter reads a row per day too.

    No running total is stored: a change folded late (a test clock's customer, whose days
    run ahead) would leave every later day's total wrong. MRR on a day is the sum of the
    nets up to it, a sum over one row per day with movements.
    """

    __tablename__ = "metric_rollups_daily"
    # Every read names the dimensions and the currency, then a range of days.
    __table_args__ = (
        PrimaryKeyConstraint(
            "account_id", "livemode", "scope", "country", "channel", "currency", "day"
        ),
    )

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"))
    livemode: Mapped[bool] = mapped_column()
    scope: Mapped[str] = mapped_column(ID)
    day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
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
