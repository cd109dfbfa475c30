from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MrrMonthMovement(Base):
    """A customer's movements of one calendar month in one currency, netted over the month
    (`core.metrics.MonthMovement`; `type` null: they net to nothing, kept for the month it
    joined its cohort). What each monthly total is made of: the fold replaces a
    customer's rows and adds the difference to the totals."""

    __tablename__ = "mrr_month_movements"
    __table_args__ = (
        Index("ix_mrr_month_movements_customer", "account_id", "livemode", "customer_id"),
    )

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(ID, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    cohort: Mapped[date] = mapped_column(Date)
    type: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    # The customer's country and acquisition channel when the row was written (or last
    # moved, `rollups.move_customer`): the monthly totals it is counted in.
    country: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(40))
