from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from recura.domains.common.fields import (
    Code,
    Currency,
    Metadata,
    MoneyOut,
    Schema,
    Timestamp,
    example,
    example_in,
)
from recura.domains.common.prices import Quantity

CollectionMethod = Literal["charge_automatically", "send_invoice"]
Alignment = Literal["anniversary", "calendar"]
SUB_ID = "sub_01JD3Q4W5E6R7T8Y9U0I1O2P3A"
ADD_ON_EXAMPLE = {"add_on": "addon_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "quantity": "2"}


class AddOnChoice(Schema):
    model_config = example_in(ADD_ON_EXAMPLE)

    add_on: str = Field(max_length=40)
    quantity: Quantity = Decimal(1)


class SubscriptionCreate(Schema):
    model_config = example_in(
        {
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "quantity": "3",
            "add_ons": [ADD_ON_EXAMPLE],
            "promotion_code": "WELCOME20",
            "metadata": {"signup": "web"},
        }
    )

    customer: str = Field(max_length=40)
    plan: str = Field(max_length=40)
    quantity: Quantity = Decimal(1)
    currency: Currency | None = Field(
        default=None, description="Defaults to the customer's currency, else the account's."
    )
    trial_days: int | None = Field(
        default=None, ge=0, le=730, description="Defaults to the plan's; 0 starts without one."
    )
    add_ons: list[AddOnChoice] = Field(default_factory=list, max_length=20)
    coupon: str | None = Field(default=None, max_length=40, description="A coupon id.")
    promotion_code: str | None = Field(default=None, max_length=40)
    collection_method: CollectionMethod = "charge_automatically"
    billing_alignment: Alignment | None = Field(
        default=None, description="Defaults to the account's setting."
    )
    payment_behavior: Literal["allow_incomplete", "default_incomplete"] = Field(
        default="allow_incomplete",
        description="default_incomplete keeps a subscription with an amount due `incomplete` "
        "until its first invoice is paid; allow_incomplete starts it active at once.",
    )
    metadata: Metadata = Field(default_factory=dict)


class CancelRequest(Schema):
    model_config = example_in(
        {"at_period_end": True},
        {"at_period_end": False, "prorate": True},
        {"at_period_end": True, "reason": "too_expensive", "reason_text": "Too much for two."},
    )

    at_period_end: bool = False
    prorate: bool = Field(
        default=False,
        description="Cancelling now: credit the unused part of the period to the balance.",
    )
    reason: Code | None = Field(
        default=None,
        description="Why the subscriber leaves: one of the account's `cancellation_reasons` "
        "codes. With it or `reason_text`, the cancellation is recorded as cancellation "
        "feedback (see /v1/cancellation_feedback) and `subscription.cancellation_feedback` "
        "is sent.",
    )
    reason_text: str | None = Field(
        default=None, max_length=1000, description="The subscriber's own words."
    )


class PauseRequest(Schema):
    model_config = example_in({"resume_at": "2026-09-01T00:00:00Z"})

    resume_at: Timestamp | None = None


class EmptyRequest(Schema):
    model_config = example_in({})


class ChangeRequest(Schema):
    model_config = example_in(
        {"plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3B"},
        {"quantity": "5"},
        {"plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3C", "effective": "period_end"},
    )

    plan: str | None = Field(default=None, max_length=40)
    quantity: Quantity | None = None
    add_ons: list[AddOnChoice] | None = Field(
        default=None, max_length=20, description="The complete new set of add-ons."
    )
    coupon: str | None = Field(default=None, max_length=40)
    promotion_code: str | None = Field(default=None, max_length=40)
    effective: Literal["now", "period_end"] | None = Field(
        default=None,
        description=(
            "Default: a cheaper plan at period end, anything else now, prorated. A plan on"
            " another interval restarts the billing cycle where it takes effect: a longer"
            " interval (monthly to yearly) defaults to now, crediting the unused period and"
            " invoicing the new one in full; a shorter one to the period end."
        ),
    )


class SubscriptionAddOnOut(BaseModel):
    model_config = example(ADD_ON_EXAMPLE)

    add_on: str
    quantity: Decimal


class PendingChangeOut(BaseModel):
    model_config = example(
        {
            "plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3C",
            "quantity": "1",
            "add_ons": [],
            "effective_at": "2026-03-01T00:00:00Z",
        }
    )

    plan: str
    quantity: Decimal
    add_ons: list[SubscriptionAddOnOut]
    effective_at: datetime


class DiscountOut(BaseModel):
    model_config = example(
        {"coupon": "cpn_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "promotion_code": None, "periods_left": 2}
    )

    coupon: str
    promotion_code: str | None
    periods_left: int | None = Field(description="null: for as long as the subscription lasts.")


SUBSCRIPTION_EXAMPLE = {
    "object": "subscription",
    "id": SUB_ID,
    "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "plan_version": 1,
    "status": "active",
    "currency": "RON",
    "quantity": "3",
    "add_ons": [ADD_ON_EXAMPLE],
    "interval_unit": "month",
    "interval_count": 1,
    "billing_alignment": "anniversary",
    "billing_anchor": "2026-01-31T10:00:00Z",
    "current_period_start": "2026-02-28T10:00:00Z",
    "current_period_end": "2026-03-31T09:00:00Z",
    "trial_end": None,
    "cancel_at_period_end": False,
    "canceled_at": None,
    "ended_at": None,
    "paused_at": None,
    "resume_at": None,
    "pending_change": None,
    "discount": None,
    "collection_method": "charge_automatically",
    "mrr": {"amount": 14700, "currency": "RON"},
    "test_clock": None,
    "metadata": {"signup": "web"},
    "livemode": False,
    "created_at": "2026-01-31T10:00:00Z",
}


class SubscriptionOut(BaseModel):
    model_config = example(SUBSCRIPTION_EXAMPLE)

    object: Literal["subscription"] = "subscription"
    id: str
    customer: str
    plan: str
    plan_version: int
    status: str
    currency: str
    quantity: Decimal
    add_ons: list[SubscriptionAddOnOut]
    interval_unit: str
    interval_count: int
    billing_alignment: str
    billing_anchor: datetime
    current_period_start: datetime
    current_period_end: datetime
    trial_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    ended_at: datetime | None
    paused_at: datetime | None
    resume_at: datetime | None
    pending_change: PendingChangeOut | None
    discount: DiscountOut | None
    collection_method: str
    mrr: MoneyOut
    test_clock: str | None
    metadata: dict[str, str]
    livemode: bool
    created_at: datetime
