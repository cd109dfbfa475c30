from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MrrMovement(Base):
    """A customer's MRR movement of one day in one currency (`core.metrics.Movement`):
    the customers behind each daily total. `country` and `channel` are the customer's
    (`metric_rollup_daily.NONE` if it has none): the totals the movement is counted in;
    `scope` the subscriptions it is of (`metric_rollup_daily.ALL`: all the customer's;
    a plan's or product's id: those of it)."""

    __tablename__ = "mrr_movements"
    __table_args__ = (Index("ix_mrr_movements_customer", "account_id", "livemode", "customer_id"),)

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(ID, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    country: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(40))
