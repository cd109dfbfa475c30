from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType


class GatewayEvent(Base):
    """An inbound processor webhook, kept by the processor's event id: its key is what makes a
    replayed or concurrent delivery apply once."""

    __tablename__ = "gateway_events"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    gateway: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(32))
    processor_type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # What applying it did: "applied", or why it changed nothing ("stale", "unknown payment").
    outcome: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The processor's API version the event was written in (Stripe's `api_version`): its
    # objects have the shape of that version, whatever Recura's requests are pinned to.
    api_version: Mapped[str | None] = mapped_column(String(32))
