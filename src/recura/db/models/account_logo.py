from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class AccountLogo(Base):
    """The merchant's logo, shown on its public pages and emails; served by the app itself
    (no third-party host), addressed by its hash so browsers may keep it for good."""

    __tablename__ = "account_logos"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime]
