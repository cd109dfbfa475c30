from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class BankAccount(TenantColumns, Base):
    """One of the merchant's accounts at a bank: a statement for it is imported, one for
    any other account in the same file is skipped.

    Numbers are kept without spaces, upper case, as statements are compared.
    """

    __tablename__ = "bank_accounts"

    iban: Mapped[str | None] = mapped_column(String(34))
    # The bank's own number for the account, as statements give it in Acct/Id/Othr/Id.
    number: Mapped[str | None] = mapped_column(String(34))
    # Null: statements in any currency.
    currency: Mapped[str | None] = mapped_column(String(3))
