from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MetricCheckoutDaily(Base):
    """Checkout sessions made on a day, per plan, by the furthest stage they reached and
    whether they completed; kept by the checkout service as a session moves on."""

    __tablename__ = "metric_checkout_daily"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ID, primary_key=True)
    # The furthest stage reached; "" for none yet (a key column is not null).
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    complete: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
