from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType


class MetricCustomerState(Base):
    """What folding a customer's next MRR change needs (`core.metrics.CustomerState`),
    per currency and scope (`metric_rollup_daily.ALL`: all its subscriptions; a plan's or
    product's id: only those of it): the worker folds events batch by batch without
    reading history."""

    __tablename__ = "metric_customer_states"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[date | None] = mapped_column(Date)
    opening: Mapped[int] = mapped_column(BigInteger)
    mrr: Mapped[int] = mapped_column(BigInteger)
    earned: Mapped[bool] = mapped_column(Boolean)
    churned_on: Mapped[date | None] = mapped_column(Date)
    # subscription id -> [MRR, counted as ended]
    subscriptions: Mapped[dict[str, Any]] = mapped_column(JSONType)
