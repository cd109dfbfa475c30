from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from recura.db.models import SupportMessage, SupportRequest
from recura.domains.common.fields import Schema, example, example_in
from recura.domains.support_requests.categories import Author, Category, Status

# What a subject and a message may hold, once stripped of surrounding white space.
SUBJECT_MAX = 200
MESSAGE_MAX = 5000

MessageBody = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX)
]

_MESSAGE_EXAMPLE = {
    "object": "support_message",
    "id": "srm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "author": "customer",
    "body": "Am fost taxat de două ori luna aceasta. Puteți verifica?",
    "created_at": "2026-02-01T10:00:00Z",
}
_REQUEST_EXAMPLE = {
    "object": "support_request",
    "id": "sr_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "category": "billing",
    "subject": "Plată dublă în februarie",
    "status": "answered",
    "invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "subscription": None,
    "first_response_at": "2026-02-01T11:30:00Z",
    "first_response_seconds": 5400,
    "closed_at": None,
    "closed_by": None,
    "livemode": False,
    "created_at": "2026-02-01T10:00:00Z",
    "updated_at": "2026-02-01T11:30:00Z",
}


class SupportReplyIn(Schema):
    model_config = example_in(
        {"body": "Bună ziua! Am verificat: a doua plată a fost rambursată azi."}
    )

    body: MessageBody = Field(
        description=f"The reply, up to {MESSAGE_MAX} characters; white space around it is "
        "dropped, and an empty reply is refused."
    )


class SupportMessageOut(BaseModel):
    model_config = example(_MESSAGE_EXAMPLE)

    object: Literal["support_message"] = "support_message"
    id: str
    author: Author
    body: str
    created_at: datetime

    @classmethod
    def of(cls, row: SupportMessage) -> SupportMessageOut:
        return cls(id=row.id, author=row.author, body=row.body, created_at=row.created_at)


class SupportRequestOut(BaseModel):
    model_config = example(_REQUEST_EXAMPLE)

    object: Literal["support_request"] = "support_request"
    id: str
    customer: str
    category: Category
    subject: str
    status: Status = Field(
        description="`open`: the subscriber waits for an answer; `answered`: the merchant "
        "wrote last; `closed`: closed by either side (a subscriber's reply reopens it)."
    )
    invoice: str | None
    subscription: str | None
    first_response_at: datetime | None = Field(description="The merchant's first reply.")
    first_response_seconds: int | None = Field(
        description="Seconds from the request to the merchant's first reply."
    )
    closed_at: datetime | None
    closed_by: Author | None
    livemode: bool
    created_at: datetime
    updated_at: datetime


class SupportRequestThreadOut(SupportRequestOut):
    """A support request with its conversation, oldest message first."""

    model_config = example({**_REQUEST_EXAMPLE, "messages": [_MESSAGE_EXAMPLE]})

    messages: list[SupportMessageOut]


def request_fields(row: SupportRequest) -> dict[str, object]:
    """A request's fields as `SupportRequestOut` names them."""
    waited = None
    if row.first_response_at is not None:
        waited = max(0, int((row.first_response_at - row.created_at).total_seconds()))
    return {
        "id": row.id,
        "customer": row.customer_id,
        "category": row.category,
        "subject": row.subject,
        "status": row.status,
        "invoice": row.invoice_id,
        "subscription": row.subscription_id,
        "first_response_at": row.first_response_at,
        "first_response_seconds": waited,
        "closed_at": row.closed_at,
        "closed_by": row.closed_by,
        "livemode": row.livemode,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
