from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType


class MetricSubscriptionState(Base):
    """What folding a subscription's next event into the funnel rollups needs: its trial's
    end (when, the day and plan it is counted under, whether it ended active, whether the
    charge then failed, whether a payment recovered it), the day it last entered dunning,
    its entries not recovered yet, and its last recovery. Only subscriptions with a trial
    or a failed payment have one."""

    __tablename__ = "metric_subscription_states"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ID, primary_key=True)
    trial_at: Mapped[datetime | None]
    trial_day: Mapped[date | None] = mapped_column(Date)
    trial_plan: Mapped[str | None] = mapped_column(ID)
    trial_active: Mapped[bool] = mapped_column(Boolean, default=False)
    trial_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    trial_recovered: Mapped[bool] = mapped_column(Boolean, default=False)
    entered_on: Mapped[date | None] = mapped_column(Date)
    # Its last payment_recovered: an entry at that same instant counts as recovered.
    recovered_at: Mapped[datetime | None]
    # [[instant (RFC 3339), day, plan, gap], ...]: the entries a recovery will count.
    unrecovered: Mapped[list[Any]] = mapped_column(JSONType)
