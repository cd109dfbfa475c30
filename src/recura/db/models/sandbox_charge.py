from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class SandboxCharge(Base):
    """The sandbox processor's own book of charges, written in its own transaction as a real
    processor's would be: what it did survives the caller's rollback or crash. It refers to
    nothing of ours (no foreign key), as an outside processor's book would not; on SQLite it
    lives in a file of its own, so it is never held up by the caller's write lock."""

    __tablename__ = "sandbox_charges"
    __table_args__ = (UniqueConstraint("account_id", "reference"),)

    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    amount_refunded: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime]
