from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class ApiKey(TenantColumns, Base):
    """An API key, kept only as a keyed hash; `prefix` and `last4` let people tell keys apart."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(4))
    revoked_at: Mapped[datetime | None]
