"""Usage events in (one, or a batch of up to 1,000), ingestion receipts and current usage out.

Ingestion is the hot path: an event is validated by pydantic-core's own types wherever a rule
fits one, and the properties object, whose rules do not, by one Python function per event.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Discriminator,
    Field,
    PlainValidator,
    RootModel,
    StringConstraints,
    Tag,
    WithJsonSchema,
)

from recura.domains.common.fields import Code, MoneyOut, example, example_in

MAX_BATCH = 1000
MAX_PROPERTIES = 50
MAX_STRING = 255
# Whole numbers up to 10^15 (as prices); fractions up to 10^9 with at most 6 decimals, so
# every value is an exact double on SQLite and sums are the same on both databases.
MAX_INTEGER = 10**15
MAX_FRACTION = 10**9
DECIMALS = 6

_PROPERTY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_KNOWN_NAMES: set[str] = set()
TransactionId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
CustomerRef = Annotated[str, StringConstraints(min_length=1, max_length=40)]

EVENT_EXAMPLE: dict[str, Any] = {
    "transaction_id": "req_7f3a9c2e-0001",
    "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "code": "storage_gb",
    "timestamp": "2026-03-14T10:02:00Z",
    "properties": {"gb": 12.5, "region": "eu-central-1"},
}
BATCH_EXAMPLE: dict[str, Any] = {
    "events": [
        EVENT_EXAMPLE,
        {
            "transaction_id": "req_7f3a9c2e-0002",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "code": "api_calls",
        },
    ]
}


def _properties(raw: Any) -> dict[str, str | int | float | bool]:
    """A flat object: names as billable metrics use them, string/number/boolean values.

    Runs once per event, so it is one loop of type checks: no per-value function calls, and
    a property name is matched against the pattern only the first time it is seen.
    """
    if not isinstance(raw, dict):
        raise ValueError("must be an object")
    if len(raw) > MAX_PROPERTIES:
        raise ValueError(f"at most {MAX_PROPERTIES} properties")
    whole: list[str] | None = None  # made only when needed: every allocation feeds the GC
    for key, value in raw.items():
        if key not in _KNOWN_NAMES:
            if not (isinstance(key, str) and _PROPERTY_NAME.fullmatch(key)):
                name = str(key)[:64]
                raise ValueError(f"'{name}' is not a property name ([A-Za-z_][A-Za-z0-9_.-]*)")
            if len(_KNOWN_NAMES) < 10_000:
                _KNOWN_NAMES.add(key)
        kind = type(value)
        if kind is str:
            if len(value) > MAX_STRING:
                raise ValueError(f"'{key}' is longer than {MAX_STRING} characters")
            if "\x00" in value:
                raise ValueError(f"'{key}' must not contain NUL characters")
        elif kind is float and value.is_integer():
            whole = whole or []
            whole.append(key)  # 2.0 and 2e3 are whole numbers: stored as exact integers
            if abs(value) > MAX_INTEGER:
                raise ValueError(f"'{key}' must be between -10^15 and 10^15")
        elif kind is float:
            # NaN and the infinities fail the first test.
            if not abs(value) < MAX_FRACTION:
                raise ValueError(f"'{key}' with a fraction must be between -10^9 and 10^9")
            if round(value, DECIMALS) != value:
                raise ValueError(f"'{key}' has more than {DECIMALS} decimal places")
        elif kind is int:
            if abs(value) > MAX_INTEGER:
                raise ValueError(f"'{key}' must be between -10^15 and 10^15")
        elif kind is not bool:
            raise ValueError(f"'{key}' must be a string, a number or a boolean")
    # The parsed object itself unless a value changed, rather than a copy per event.
    return {**raw, **{key: int(raw[key]) for key in whole}} if whole else raw


Properties = Annotated[
    dict[str, str | int | float | bool],
    PlainValidator(_properties),
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": MAX_PROPERTIES,
            "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_.-]*$", "maxLength": 64},
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", "maxLength": MAX_STRING},
                    {"type": "number"},
                    {"type": "boolean"},
                ]
            },
        }
    ),
]


class UsageEventIn(BaseModel):
    """One usage event. A second event with the same transaction_id is dropped as a duplicate."""

    model_config = example_in(EVENT_EXAMPLE)

    transaction_id: TransactionId = Field(
        description="Your unique key for the event; resending it is safe."
    )
    customer: CustomerRef = Field(description="The customer's id (`cus_…`).")
    code: Code = Field(description="The code of the billable metrics that count this event.")
    timestamp: AwareDatetime | None = Field(
        default=None,
        description="When it happened (RFC 3339 with a zone); default now. At most 5 minutes "
        "ahead, and not before the customer's current billing period (35 days without one).",
    )
    properties: Properties = Field(
        default_factory=dict,
        description="Flat object of string, number or boolean values (numbers: whole up to "
        "10^15, or up to 10^9 with at most 6 decimals).",
    )


class UsageEventBatchIn(BaseModel):
    model_config = example_in(BATCH_EXAMPLE)

    events: list[UsageEventIn] = Field(min_length=1, max_length=MAX_BATCH)


def _form(raw: Any) -> str:
    return "batch" if isinstance(raw, dict) and "events" in raw else "event"


class UsageEventsCreate(
    RootModel[
        Annotated[
            Annotated[UsageEventIn, Tag("event")] | Annotated[UsageEventBatchIn, Tag("batch")],
            Discriminator(_form),
        ]
    ]
):
    """One event, or `{"events": [...]}` with 1 to 1,000; a batch is all or nothing."""

    model_config = example(EVENT_EXAMPLE, BATCH_EXAMPLE)  # the members reject unknown fields

    @property
    def events(self) -> list[UsageEventIn]:
        root = self.root
        return root.events if isinstance(root, UsageEventBatchIn) else [root]

    @property
    def is_batch(self) -> bool:
        return isinstance(self.root, UsageEventBatchIn)


class UsageEventBatchOut(BaseModel):
    """What happened to the events sent: how many went in, which were duplicates."""

    model_config = example(
        {"object": "usage_event_batch", "received": 3, "ingested": 2, "duplicates": ["req_0003"]}
    )

    object: Literal["usage_event_batch"] = "usage_event_batch"
    received: int = Field(description="Events in the request.")
    ingested: int = Field(description="Events stored now.")
    duplicates: list[str] = Field(
        description="Transaction ids dropped: already stored, or repeated in the request."
    )


CHARGE_USAGE_EXAMPLE: dict[str, Any] = {
    "charge": "chg_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "billable_metric": "bm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "code": "api_calls",
    "aggregation": "count",
    "quantity": "12000",
    "amount": {"amount": 1000, "currency": "RON"},
}
SUBSCRIPTION_USAGE_EXAMPLE: dict[str, Any] = {
    "subscription": "sub_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "status": "active",
    "current_period_start": "2026-03-01T00:00:00Z",
    "current_period_end": "2026-04-01T00:00:00Z",
    "charges": [CHARGE_USAGE_EXAMPLE],
    "total": {"amount": 1000, "currency": "RON"},
}


class ChargeUsageOut(BaseModel):
    model_config = example(CHARGE_USAGE_EXAMPLE)

    charge: str
    billable_metric: str
    code: str
    aggregation: str
    quantity: Decimal = Field(description="The metric's value over the period so far.")
    amount: MoneyOut | None = Field(
        description="What the quantity costs now; null if the charge has no price in the "
        "subscription's currency."
    )


class SubscriptionUsageOut(BaseModel):
    model_config = example(SUBSCRIPTION_USAGE_EXAMPLE)

    subscription: str
    status: str
    current_period_start: datetime
    current_period_end: datetime
    charges: list[ChargeUsageOut]
    total: MoneyOut = Field(description="The charges' amounts together (usage only).")


class CustomerUsageOut(BaseModel):
    model_config = example(
        {
            "object": "customer_usage",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "subscriptions": [SUBSCRIPTION_USAGE_EXAMPLE],
        }
    )

    object: Literal["customer_usage"] = "customer_usage"
    customer: str
    subscriptions: list[SubscriptionUsageOut] = Field(
        description="Each trialing, active, past due or paused subscription, oldest first."
    )
