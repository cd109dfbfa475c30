from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class ExchangeRate(TenantColumns, Base):
    """1 `base` = `rate` `quote` on `day`, as published by `source` (bnr, csv, api).

    Per account and mode, like every row: rates are public facts, but an API key may
    post them, and one merchant's (or a test key's) rates must never change another's
    reports or invoices. The unique key doubles as the lookup index: the latest rate of a
    pair on or before a day is one index probe.
    """

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "base", "quote", "day"),)

    day: Mapped[date] = mapped_column(Date)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    # An exact decimal as text: a float would change the published digits, and a Numeric's
    # scale would cap them.
    rate: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(16))
