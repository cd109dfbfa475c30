from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MetricDunningDaily(Base):
    """Subscriptions that entered dunning on a day (a `subscription.past_due`), per plan
    and per `gap`: the days since the subscription's previous entry, capped at 31 (none
    in the 31 days before; a period is a month at most). A period counts a subscription
    once, at its first entry in it: the rows whose gap reaches back before the period's
    start. `recovered`: the entries a later payment recovered."""

    __tablename__ = "metric_dunning_daily"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ID, primary_key=True)
    gap: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    entered: Mapped[int] = mapped_column(Integer, default=0)
    recovered: Mapped[int] = mapped_column(Integer, default=0)
