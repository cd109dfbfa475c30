from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, JSONType, TenantColumns


class WebhookEndpoint(TenantColumns, Base):
    """Where the merchant wants its events delivered, signed per Standard Webhooks.

    The secrets are kept as issued (`whsec_…`): signing needs them, so a hash would not do.
    After a rotation the previous secret also signs until `previous_secret_expires_at`.
    """

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(1000))
    # Event types, `family.*` patterns, or ["*"] for every event.
    enabled_events: Mapped[list[str]] = mapped_column(JSONType)
    # Events per request: 1 sends each alone; more, up to that many together.
    batch_size: Mapped[int] = mapped_column(Integer, server_default="1")
    status: Mapped[str] = mapped_column(String(16))  # enabled | disabled
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    # Set when the receiver asked us to slow down (429, 502, 503, 504): nothing is sent
    # to it before then.
    throttled_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]
