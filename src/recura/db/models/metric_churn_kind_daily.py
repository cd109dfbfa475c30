from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MetricChurnKindDaily(Base):
    """Paying subscriptions that stopped paying on a day, per plan, currency and kind
    (voluntary, involuntary), and the MRR they lost."""

    __tablename__ = "metric_churn_kinds_daily"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ID, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subscriptions: Mapped[int] = mapped_column(Integer, default=0)
    mrr: Mapped[int] = mapped_column(BigInteger, default=0)
