from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class User(Base):
    """An operator of one account (console and CLI): not test or live, the business's own.

    The password is kept only as an argon2id hash; the TOTP secret encrypted under a key
    derived from the app's secret. `password_reset` is the nonce of the one reset link that
    may still be used (None: none may)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("account_id", "email"),
        # Signing in starts from the address alone.
        Index("ix_users_email", "email"),
    )

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    created_at: Mapped[datetime]
    # Kept lower-case: one address is one user of an account, whatever its case.
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime]
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None]
    # The last time step a code was accepted for: no code is accepted twice.
    totp_last_step: Mapped[int | None]
    failed_attempts: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None]
    password_reset: Mapped[str | None] = mapped_column(String(64))
    last_sign_in_at: Mapped[datetime | None]
