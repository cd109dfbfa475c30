from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class ConsoleSession(Base):
    """An operator's browser session: the cookie carries the id and a secret kept here only
    as its hash. `verified_at` is None while a second step (the TOTP code) is still owed."""

    __tablename__ = "console_sessions"
    __table_args__ = (
        ForeignKeyConstraint(["account_id", "user_id"], ["users.account_id", "users.id"]),
        Index("ix_console_sessions_account_id_user_id", "account_id", "user_id"),
    )

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]
    secret_hash: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
