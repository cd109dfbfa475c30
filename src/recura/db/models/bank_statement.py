from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class BankStatement(TenantColumns, Base):
    """An imported camt.053 statement; its key makes a second import of it change nothing."""

    __tablename__ = "bank_statements"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "statement_key"),)

    statement_key: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str] = mapped_column(String(255))
    statement_id: Mapped[str] = mapped_column(String(255))
    # The statement's account as the bank wrote it (IBAN or its own number), without
    # spaces, upper case.
    account_number: Mapped[str | None] = mapped_column(String(34))
    currency: Mapped[str | None] = mapped_column(String(3))
    issued_at: Mapped[datetime | None]
    entry_count: Mapped[int] = mapped_column(Integer)
    matched_count: Mapped[int] = mapped_column(Integer)
