from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, JSONType, TenantColumns


class ApiKey(TenantColumns, Base):
    """An API key, kept only as a keyed hash; `prefix` and `last4` let people tell keys apart."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(4))
    revoked_at: Mapped[datetime | None]
    # full | read_only | restricted (domains/accounts/scopes.py); a restricted key's
    # `permissions` map resource families to read or write.
    scope: Mapped[str] = mapped_column(String(16), server_default="full")
    permissions: Mapped[dict[str, str]] = mapped_column(JSONType, server_default="{}")
    # Who made it: a user's email, "cli", or the label of the key that created it.
    created_by: Mapped[str] = mapped_column(String(400), server_default="cli")
    # At most a minute old: the API records uses in memory and writes them in batches.
    last_used_at: Mapped[datetime | None]
