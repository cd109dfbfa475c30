from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from recura.domains.common.fields import example

EmailStatus = Literal["pending", "sending", "sent", "failed", "skipped"]


class EmailMessageOut(BaseModel):
    model_config = example(
        {
            "object": "email_message",
            "id": "em_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "event": "evt_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "template": "receipt",
            "locale": "ro",
            "to": "ana@example.ro",
            "subject": "Chitanța pentru factura NDT-000042",
            "text": "Bună ziua, Ana Popescu,\n\nAm primit plata dumneavoastră de 49,00 RON…",
            "html": '<!DOCTYPE html>\n<html lang="ro">…',
            "status": "sent",
            "attempts": 1,
            "last_error": None,
            "message_id": "<evt_01JD3Q4W5E6R7T8Y9U0I1O2P3A.receipt@recura>",
            "send_after": "2026-01-15T09:30:00Z",
            "next_attempt_at": None,
            "created_at": "2026-01-15T09:30:02Z",
            "sent_at": "2026-01-15T09:30:04Z",
            "livemode": False,
        }
    )

    object: Literal["email_message"] = "email_message"
    id: str
    customer: str | None
    event: str
    template: str
    locale: str
    to: str | None = Field(description="The address; null when the customer had none.")
    subject: str | None = Field(description="Set when it was rendered for sending.")
    text: str | None = Field(
        description="The plain-text part as sent (the last time it was rendered for sending)."
    )
    html: str | None = Field(
        description="The HTML part as sent; an inline image (the QR code of a transfer in "
        "euro) is referenced as `cid:`."
    )
    status: EmailStatus
    attempts: int
    last_error: str | None = Field(
        description="Why it failed or was skipped, or the last temporary failure of one "
        "that will be tried again."
    )
    message_id: str
    send_after: datetime = Field(
        description="Not sent before this instant (on the customer's test clock, if any)."
    )
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    livemode: bool
