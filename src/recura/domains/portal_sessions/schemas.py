from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from recura.domains.common.fields import Language, Schema, example, example_in

_LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")


def _return_url(value: str) -> str:
    parts = urlsplit(value)
    local = parts.hostname in _LOOPBACK
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise ValueError("must be an absolute https:// address")
    if parts.scheme == "http" and not local:
        raise ValueError("must be an https:// address (http only for localhost)")
    return value


ReturnUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_return_url)]

EXAMPLE = {
    "object": "portal_session",
    "id": "pss_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "url": "https://billing.norditech.ro/portal/session/eyJ…",
    "return_url": "https://app.norditech.ro/account",
    "locale": "ro",
    "expires_at": "2026-02-01T13:00:00Z",
    "livemode": False,
    "created_at": "2026-02-01T12:00:00Z",
}


class PortalSessionCreate(Schema):
    model_config = example_in(
        {"customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "return_url": "https://app.norditech.ro"}
    )

    customer: str = Field(max_length=40)
    return_url: ReturnUrl | None = Field(
        default=None, description="Where the portal's “back” link leads; null: no such link."
    )
    locale: Language | None = Field(
        default=None, description="The portal's language; null: the customer's."
    )


class PortalSessionOut(BaseModel):
    model_config = example(EXAMPLE)

    object: Literal["portal_session"] = "portal_session"
    id: str
    customer: str
    url: str = Field(description="Send the customer here; it works once, within the hour.")
    return_url: str | None
    locale: str | None
    expires_at: datetime
    livemode: bool
    created_at: datetime
