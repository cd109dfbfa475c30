from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from recura.domains.common.fields import Schema, Timestamp, example, example_in

# The families of events Recura records; a filter names one of their events or `family.*`.
FAMILIES = frozenset(
    {
        "customer",
        "subscription",
        "invoice",
        "credit_note",
        "payment",
        "payment_method",
        "refund",
        "dispute",
        "bank_statement",
        "entitlements",
        "partner_perk",
    }
)
_PATTERN = re.compile(r"^([a-z_]+)\.(\*|[a-z_]+(\.[a-z_]+)*)$")


def _filters(value: list[str]) -> list[str]:
    for item in value:
        if item == "*":
            continue
        match = _PATTERN.match(item)
        if match is None or match.group(1) not in FAMILIES:
            families = ", ".join(sorted(FAMILIES))
            raise ValueError(
                f"'{item}' is not an event type: use '*', '<family>.*' or an event name such "
                f"as 'invoice.paid' (families: {families})"
            )
    if "*" in value:
        return ["*"]
    return list(dict.fromkeys(value))


MAX_BATCH_SIZE = 100
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
Description = Annotated[str, StringConstraints(max_length=1000)]
BatchSize = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_BATCH_SIZE,
        strict=True,
        description=(
            "Events per request. 1 (the default): each event is a request of its own,"
            " signed under its event id. More: up to this many due events go together in one"
            ' request whose body is `{"type": "batch", "timestamp": ..., "data": [...]}`,'
            " each element an event as sent alone plus its `id`; the request is signed under"
            " a `webhook-id` of its own, so deduplicate on each element's `id`. For"
            " receivers of many events: one request costs both sides more than its events."
        ),
    ),
]
EventFilter = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
    Field(min_length=1, max_length=100),
    AfterValidator(_filters),
]

ENDPOINT_EXAMPLE = {
    "object": "webhook_endpoint",
    "id": "we_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "url": "https://hooks.merchant.example/recura",
    "description": "Provisioning service",
    "enabled_events": ["subscription.*", "invoice.paid"],
    "batch_size": 1,
    "status": "enabled",
    "disabled_reason": None,
    "previous_secret_expires_at": None,
    "livemode": False,
    "created_at": "2026-01-15T09:30:00Z",
    "updated_at": "2026-01-15T09:30:00Z",
}
SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw2rDm5fnVr0Y="  # noqa: S105 (an example)


class WebhookEndpointCreate(Schema):
    model_config = example_in(
        {
            "url": "https://hooks.merchant.example/recura",
            "description": "Provisioning service",
            "enabled_events": ["subscription.*", "invoice.paid"],
        },
        {"url": "https://hooks.merchant.example/all", "batch_size": 100},
    )

    url: Url
    description: Description | None = None
    enabled_events: EventFilter = Field(default_factory=lambda: ["*"])
    batch_size: BatchSize = 1


class WebhookEndpointUpdate(Schema):
    model_config = example_in(
        {"enabled_events": ["*"]},
        {"enabled": True},
        {"url": "https://hooks.merchant.example/v2", "description": None},
    )

    url: Url | None = None
    description: Description | None = None
    enabled_events: EventFilter | None = None
    batch_size: BatchSize | None = None
    enabled: bool | None = None


class RotateSecret(Schema):
    model_config = example_in({}, {"expire_previous_in_hours": 0})

    # How long the old secret keeps signing too (0: at once), so receivers can switch over.
    expire_previous_in_hours: int = Field(default=24, ge=0, le=168, strict=True)


class Replay(Schema):
    """Send one event again, or every delivery of this endpoint that failed since a time."""

    model_config = example_in(
        {"event": "evt_01JD3Q4W5E6R7T8Y9U0I1O2P3A"}, {"failed_since": "2026-01-15T00:00:00Z"}
    )

    event: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    failed_since: Timestamp | None = None

    @model_validator(mode="after")
    def _one(self) -> Replay:
        if (self.event is None) == (self.failed_since is None):
            raise ValueError("give exactly one of `event` and `failed_since`")
        return self


class WebhookEndpointOut(BaseModel):
    model_config = example(ENDPOINT_EXAMPLE)

    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    id: str
    url: str
    description: str | None
    enabled_events: list[str]
    batch_size: int
    status: Literal["enabled", "disabled"]
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None
    livemode: bool
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpointOut):
    """As created or rotated: the only time the signing secret is shown."""

    model_config = example({**ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE})

    secret: str


class AttemptOut(BaseModel):
    model_config = example(
        {
            "attempt": 1,
            "status_code": 200,
            "error": None,
            "latency_ms": 42,
            "response_excerpt": "ok",
            "at": "2026-01-15T09:30:01Z",
        }
    )

    attempt: int
    status_code: int | None
    error: str | None
    latency_ms: int | None
    response_excerpt: str | None
    at: datetime


class DeliveryOut(BaseModel):
    model_config = example(
        {
            "object": "webhook_delivery",
            "id": "whd_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "endpoint": "we_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "event": "evt_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "event_type": "invoice.paid",
            "status": "succeeded",
            "attempt_count": 1,
            "next_attempt_at": None,
            "last_status_code": 200,
            "attempts": [AttemptOut.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
            "created_at": "2026-01-15T09:30:00Z",
            "updated_at": "2026-01-15T09:30:01Z",
        }
    )

    object: Literal["webhook_delivery"] = "webhook_delivery"
    id: str
    endpoint: str
    event: str
    event_type: str
    status: Literal["pending", "sending", "succeeded", "failed"]
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    attempts: list[AttemptOut]
    created_at: datetime
    updated_at: datetime


class ReplayOut(BaseModel):
    model_config = example(
        {"object": "webhook_replay", "endpoint": "we_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "replayed": 3}
    )

    object: Literal["webhook_replay"] = "webhook_replay"
    endpoint: str
    # Deliveries queued to be sent again now.
    replayed: int
