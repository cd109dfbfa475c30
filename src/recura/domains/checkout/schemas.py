from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StringConstraints

from recura.domains.common.fields import (
    Currency,
    Language,
    Metadata,
    Schema,
    example,
    example_in,
)
from recura.domains.common.prices import Quantity
from recura.domains.customers.schemas import CustomerOut
from recura.domains.entitlements.schemas import EntitlementsOut
from recura.domains.subscriptions.schemas import AddOnChoice, SubscriptionAddOnOut, SubscriptionOut

Status = Literal["open", "complete", "expired"]
Stage = Literal["opened", "details", "payment_method", "confirmed"]
# Where plain http is accepted: a merchant trying the checkout on their own machine.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


def _return_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an absolute https:// URL")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError("must use https (plain http only for localhost or 127.0.0.1)")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain spaces")
    return value


ReturnUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_return_url)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

ACQUISITION_EXAMPLE = {
    "channel": "newsletter",
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "spring-2026",
}


class Acquisition(Schema):
    """Where the subscriber came from, for the merchant's own reports."""

    model_config = example_in(ACQUISITION_EXAMPLE)

    channel: Tag | None = None
    utm_source: Tag | None = None
    utm_medium: Tag | None = None
    utm_campaign: Tag | None = None
    utm_term: Tag | None = None
    utm_content: Tag | None = None

    def stored(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class CheckoutSessionCreate(Schema):
    model_config = example_in(
        {
            "plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "quantity": "1",
            "allow_promotion_codes": True,
            "customer_email": "ana.popescu@example.ro",
            "locale": "ro",
            "success_url": "https://norditech.ro/welcome?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://norditech.ro/pricing",
            "acquisition": ACQUISITION_EXAMPLE,
        }
    )

    plan: str = Field(max_length=40)
    quantity: Quantity = Decimal(1)
    add_ons: list[AddOnChoice] = Field(default_factory=list, max_length=20)
    coupon: str | None = Field(
        default=None, max_length=40, description="A coupon applied to the subscription."
    )
    allow_promotion_codes: bool = Field(
        default=False,
        description="Let the subscriber type a promotion code (not with `coupon`).",
    )
    customer: str | None = Field(
        default=None,
        max_length=40,
        description="An existing customer who subscribes; without one the checkout makes a "
        "new customer (never one found by email).",
    )
    customer_email: EmailStr | None = Field(
        default=None, description="Prefills the email of a new customer (not with `customer`)."
    )
    locale: Language | None = Field(
        default=None,
        description="The page's language, `en` or `ro`; default: the customer's, else the "
        "account's.",
    )
    currency: Currency | None = Field(
        default=None,
        description="The plan must have a price in it; default: the customer's currency, "
        "else the account's.",
    )
    success_url: ReturnUrl = Field(
        description="Where the subscriber goes once subscribed; `{CHECKOUT_SESSION_ID}` in it "
        "is replaced by the session's id. https, or http for localhost only."
    )
    cancel_url: ReturnUrl | None = Field(
        default=None, description="Where the subscriber goes when they leave the checkout."
    )
    metadata: Metadata = Field(default_factory=dict)
    acquisition: Acquisition = Field(default_factory=Acquisition)


class StagesOut(BaseModel):
    model_config = example(
        {
            "opened": "2026-03-01T10:00:00Z",
            "details": "2026-03-01T10:02:10Z",
            "payment_method": None,
            "confirmed": None,
        }
    )

    opened: datetime | None
    details: datetime | None
    payment_method: datetime | None
    confirmed: datetime | None


CHECKOUT_SESSION_EXAMPLE: dict[str, Any] = {
    "object": "checkout_session",
    "id": "cs_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "url": "https://billing.norditech.ro/checkout/cs_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "status": "open",
    "stage": "details",
    "stages": {
        "opened": "2026-03-01T10:00:00Z",
        "details": "2026-03-01T10:02:10Z",
        "payment_method": None,
        "confirmed": None,
    },
    "plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "quantity": "1",
    "add_ons": [],
    "coupon": None,
    "allow_promotion_codes": True,
    "promotion_code": None,
    "customer": None,
    "customer_email": "ana.popescu@example.ro",
    "locale": "ro",
    "currency": "RON",
    "success_url": "https://norditech.ro/welcome?session={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://norditech.ro/pricing",
    "metadata": {},
    "acquisition": ACQUISITION_EXAMPLE,
    "subscription": None,
    "expires_at": "2026-03-02T10:00:00Z",
    "completed_at": None,
    "livemode": False,
    "created_at": "2026-03-01T10:00:00Z",
    "updated_at": "2026-03-01T10:02:10Z",
}


class CheckoutSessionOut(BaseModel):
    model_config = example(CHECKOUT_SESSION_EXAMPLE)

    object: Literal["checkout_session"] = "checkout_session"
    id: str
    url: str = Field(description="The hosted checkout page to send the subscriber to.")
    status: Status = Field(description="An open session past `expires_at` reads as expired.")
    stage: Stage | None = Field(description="The furthest stage the subscriber reached.")
    stages: StagesOut = Field(description="When each stage was first reached.")
    plan: str
    quantity: Decimal
    add_ons: list[SubscriptionAddOnOut]
    coupon: str | None
    allow_promotion_codes: bool
    promotion_code: str | None = Field(description="The promotion code the subscriber applied.")
    customer: str | None
    customer_email: str | None
    locale: str
    currency: str
    success_url: str | None
    cancel_url: str | None
    metadata: dict[str, str]
    acquisition: dict[str, str]
    subscription: str | None
    expires_at: datetime
    completed_at: datetime | None
    livemode: bool
    created_at: datetime
    updated_at: datetime


def _example_of(model: type[BaseModel]) -> Any:
    extra: Any = model.model_config.get("json_schema_extra") or {}
    return extra["examples"][0]


class CheckoutResultOut(BaseModel):
    """What a completed checkout made."""

    model_config = example(
        {
            "customer": _example_of(CustomerOut),
            "subscription": _example_of(SubscriptionOut),
            "entitlements": _example_of(EntitlementsOut),
        }
    )

    customer: CustomerOut
    subscription: SubscriptionOut
    entitlements: EntitlementsOut


class CheckoutSessionDetailOut(CheckoutSessionOut):
    model_config = example({**CHECKOUT_SESSION_EXAMPLE, "result": None})

    result: CheckoutResultOut | None = Field(
        description="Once complete: the customer, the subscription and what it entitles to."
    )
