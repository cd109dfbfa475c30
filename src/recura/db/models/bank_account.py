from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class BankAccount(Base):
    """One of the merchant's accounts at a bank: a statement for it is imported, one for
    any other account in the same file is skipped.

    An account setting like the invoices' IBAN, so shared by test and live data. Numbers
    are kept without spaces, upper case, as statements are compared.
    """

    __tablename__ = "bank_accounts"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    iban: Mapped[str | None] = mapped_column(String(34))
    # The bank's own number for the account, as statements give it in Acct/Id/Othr/Id.
    number: Mapped[str | None] = mapped_column(String(34))
    # Null: statements in any currency.
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime]
