from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class InvoiceSeries(Base):
    """The next number of a series. Finalising an invoice locks this row, takes the number
    and increments it in the same transaction, so numbers are gapless and increasing."""

    __tablename__ = "invoice_series"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_number: Mapped[int] = mapped_column(Integer)
