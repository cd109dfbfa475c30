from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, JSONType, TenantColumns


class GatewayConnection(TenantColumns, Base):
    """An account's credentials for one processor, in test or live mode.

    The sandbox needs none and is what an account without connections uses.
    """

    __tablename__ = "gateway_connections"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "gateway"),)

    gateway: Mapped[str] = mapped_column(String(16))
    # Processor-specific: Stripe {"api_key", "webhook_secret", "publishable_key"}, PayPal
    # {"client_id", "client_secret", "webhook_id"}. Where requests go is not theirs to say.
    config: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime]
