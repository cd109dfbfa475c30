"""The account's cancellation settings as the API takes them, and the feedback it lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from recura.domains.common.fields import Code, Schema, example, example_in, one_line
from recura.domains.events.payloads import RetentionOfferTerms

# What a subscriber may write about why they leave.
REASON_TEXT_MAX = 1000
MAX_REASONS = 12
ObjectId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(one_line),
]
ReasonText = Annotated[str, StringConstraints(max_length=REASON_TEXT_MAX)]
Outcome = Literal["pending", "accepted", "declined", "not_offered"]


class ReasonLabels(Schema):
    """The reason as subscribers read it, in each language Recura writes."""

    model_config = example_in({"en": "It is too expensive", "ro": "Este prea scump"})

    en: Label
    ro: Label


class CancellationReason(Schema):
    model_config = example_in(
        {"code": "too_expensive", "labels": {"en": "It is too expensive", "ro": "Este prea scump"}}
    )

    code: Code
    labels: ReasonLabels


def _distinct(reasons: list[CancellationReason]) -> list[CancellationReason]:
    codes = [r.code for r in reasons]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise ValueError(f"each code once: {', '.join(twice)} listed more than once")
    return reasons


CancellationReasons = Annotated[
    list[CancellationReason],
    Field(min_length=1, max_length=MAX_REASONS),
    AfterValidator(_distinct),
]


class CouponOffer(Schema):
    """A coupon on the subscription, for the coupon's own duration."""

    model_config = example_in({"kind": "coupon", "coupon_id": "cpn_01JD3Q4W5E6R7T8Y9U0I1O2P3A"})

    kind: Literal["coupon"]
    coupon_id: ObjectId


class PauseOffer(Schema):
    """A pause of 1 to 3 months instead of leaving; the subscription resumes by itself."""

    model_config = example_in({"kind": "pause", "months": 2})

    kind: Literal["pause"]
    months: int = Field(ge=1, le=3)


class PlanOffer(Schema):
    """A cheaper plan of the same product from the period end (offered only where it is
    cheaper than the subscriber's plan)."""

    model_config = example_in({"kind": "plan", "plan_id": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3B"})

    kind: Literal["plan"]
    plan_id: ObjectId


RetentionOffer = Annotated[CouponOffer | PauseOffer | PlanOffer, Field(discriminator="kind")]


FEEDBACK_EXAMPLE: dict[str, Any] = {
    "object": "cancellation_feedback",
    "id": "cfb_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "subscription": "sub_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "reason": "too_expensive",
    "reason_text": "Too much for a team of two.",
    "offer": {
        "kind": "pause",
        "currency": "RON",
        "regular_amount": 5929,
        "offer_amount": 0,
        "months": 2,
        "resume_at": "2026-04-14T12:00:00Z",
        "credit": 2965,
    },
    "outcome": "declined",
    "canceled": True,
    "access_ends_at": "2026-03-01T00:00:00Z",
    "answered_at": "2026-02-14T12:01:00Z",
    "livemode": False,
    "created_at": "2026-02-14T12:00:00Z",
}


class CancellationFeedbackOut(BaseModel):
    model_config = example(FEEDBACK_EXAMPLE)

    object: Literal["cancellation_feedback"] = "cancellation_feedback"
    id: str
    subscription: str
    customer: str
    reason: str | None
    reason_text: str | None
    offer: RetentionOfferTerms | None = Field(description="The offer shown; null: none.")
    outcome: Outcome = Field(
        description="pending: the offer was shown and not answered yet; not_offered: the "
        "subscriber saw no offer."
    )
    canceled: bool
    access_ends_at: datetime | None = Field(description="When access ends, once canceled.")
    answered_at: datetime | None
    livemode: bool
    created_at: datetime
