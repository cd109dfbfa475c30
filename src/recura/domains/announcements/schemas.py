from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from recura.core.lifecycle import Status
from recura.domains.common.fields import Schema, Timestamp, example, example_in
from recura.domains.common.localized import Texts

Ids = Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=100)]
_TEXTS = {
    "en": {"title": "New: bank sync", "body": "Statements now import **every hour**."},
    "ro": {
        "title": "Nou: sincronizare bancară",
        "body": "Extrasele se importă **din oră în oră**.",
    },
}


class AnnouncementCreate(Schema):
    model_config = example_in(
        {
            "texts": _TEXTS,
            "plans": ["plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A"],
            "statuses": ["active", "trialing"],
            "ends_at": "2026-03-01T00:00:00Z",
            "email": True,
        }
    )

    texts: Texts
    products: Ids = Field(default_factory=list, description="Subscribers of these products.")
    plans: Ids = Field(default_factory=list, description="Subscribers of these plans.")
    statuses: list[Status] = Field(
        default_factory=list,
        max_length=10,
        description="Whose subscription is in one of these states. Each list empty: anyone.",
    )
    ends_at: Timestamp | None = Field(default=None, description="Shown until then.")
    email: bool = Field(
        default=False, description="Email it, on publishing, to those not opted out."
    )


class AnnouncementUpdate(Schema):
    model_config = example_in({"ends_at": "2026-04-01T00:00:00Z"})

    texts: Texts | None = None
    products: Ids | None = None
    plans: Ids | None = None
    statuses: list[Status] | None = Field(default=None, max_length=10)
    ends_at: Timestamp | None = None
    email: bool | None = None


class AnnouncementText(BaseModel):
    model_config = example({"title": "New: bank sync", "body": "Statements import hourly."})

    title: str
    body: str


class AnnouncementOut(BaseModel):
    model_config = example(
        {
            "object": "announcement",
            "id": "ann_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "status": "published",
            "texts": _TEXTS,
            "products": [],
            "plans": ["plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A"],
            "statuses": ["active", "trialing"],
            "email": True,
            "emails_written": 1250,
            "emailing": "done",
            "published_at": "2026-01-15T09:30:00Z",
            "ends_at": "2026-03-01T00:00:00Z",
            "livemode": False,
            "created_at": "2026-01-15T09:00:00Z",
            "updated_at": "2026-01-15T09:30:00Z",
        }
    )

    object: Literal["announcement"] = "announcement"
    id: str
    status: Literal["draft", "published", "ended", "archived"]
    texts: dict[str, AnnouncementText]
    products: list[str]
    plans: list[str]
    statuses: list[Status]
    email: bool
    emails_written: int = Field(description="Emails written so far for its publication.")
    emailing: Literal["pending", "done"] | None = Field(
        description="Writing its emails: pending, done; null when none are to be sent."
    )
    published_at: datetime | None
    ends_at: datetime | None
    livemode: bool
    created_at: datetime
    updated_at: datetime
