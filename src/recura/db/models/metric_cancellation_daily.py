from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MetricCancellationDaily(Base):
    """Cancellation flows begun on a day, by reason, offer outcome and whether the
    subscription was set to cancel; kept by the cancellations service as a flow changes."""

    __tablename__ = "metric_cancellations_daily"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # The reason code; "" for none given (a key column is not null).
    reason: Mapped[str] = mapped_column(String(64), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    canceled: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    flows: Mapped[int] = mapped_column(Integer, default=0)
