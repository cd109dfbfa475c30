from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class EmailMessage(TenantColumns, Base):
    """One email an event calls for: written by the outbox dispatcher, sent by the worker.

    (event, template, customer) is unique, so dispatching an event twice writes its emails
    once (an event's emails go to one customer, but an announcement's to each it targets);
    the Message-ID is fixed here, so a resend after a crash is recognised as the same message.
    """

    __tablename__ = "email_messages"
    __table_args__ = (
        UniqueConstraint("account_id", "event_id", "template", "customer_id"),
        Index("ix_email_messages_status_send_after", "status", "send_after"),
        Index("ix_email_messages_account_id_customer_id", "account_id", "customer_id"),
        # GET /v1/email_messages?status=failed, newest first, without reading the rest.
        Index("ix_email_messages_account_id_status_id", "account_id", "status", "id"),
        # Pruning finds the finished rows by age.
        Index("ix_email_messages_status_updated_at", "status", "updated_at"),
    )

    event_id: Mapped[str] = mapped_column(ID)
    template: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(ID)
    to_address: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(16))
    # What the template is rendered with: amounts in minor units, instants in RFC 3339.
    context: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # What was sent, as rendered when it was (null until then): support sees what the
    # subscriber received.
    subject: Mapped[str | None] = mapped_column(String(998))
    text: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    # pending -> sending -> sent | failed; skipped: not to be sent (no address, opted out,
    # too old to send).
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    # Not before this instant: the customer's test clock's, when it has one.
    send_after: Mapped[datetime]
    test_clock_id: Mapped[str | None] = mapped_column(ID)
    claimed_at: Mapped[datetime | None]
    # After a temporary failure: the next try, in real time (the server's, not a clock's).
    next_attempt_at: Mapped[datetime | None]
    message_id: Mapped[str] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(String(1000))
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
