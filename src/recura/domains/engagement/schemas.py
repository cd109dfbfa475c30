from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from recura.domains.common.fields import Schema, example, example_in

FeatureKey = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][\w.:-]*$"
    ),
]
CUSTOMER = "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A"


class ActivityCreate(Schema):
    model_config = example_in({"feature": "reports", "at": "2026-03-01T10:00:00Z"})

    feature: FeatureKey | None = Field(
        default=None, description="What the customer used (letters, digits, _ . : -)."
    )
    at: datetime | None = Field(
        default=None,
        description="When; default now. Not in the future, and at most 7 days back.",
    )


class ActivityOut(BaseModel):
    model_config = example(
        {
            "object": "customer_activity",
            "customer": CUSTOMER,
            "day": "2026-03-01",
            "feature": "reports",
            "count": 3,
            "last_at": "2026-03-01T10:00:00Z",
        }
    )

    object: Literal["customer_activity"] = "customer_activity"
    customer: str
    day: date
    feature: str | None
    count: int
    last_at: datetime


class ActiveBucketOut(BaseModel):
    model_config = example({"start": "2026-02-02", "end": "2026-02-09", "active_customers": 41})

    start: date
    end: date = Field(description="The day after the bucket.")
    active_customers: int


class ActiveCustomersOut(BaseModel):
    model_config = example(
        {
            "object": "active_customers",
            "granularity": "week",
            "from": "2026-02-02",
            "to": "2026-02-15",
            "data": [
                {"start": "2026-02-02", "end": "2026-02-09", "active_customers": 41},
                {"start": "2026-02-09", "end": "2026-02-16", "active_customers": 44},
            ],
            "as_of": {"day": "2026-02-15", "dau": 12, "wau": 44, "mau": 70},
            "stickiness": 0.1714,
        }
    )

    object: Literal["active_customers"] = "active_customers"
    granularity: str
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    data: list[ActiveBucketOut]
    as_of: AsOfOut
    stickiness: float | None = Field(
        description="As of `to`: the mean DAU over the 30 days ending then, divided by their "
        "MAU; null with no activity."
    )


class AsOfOut(BaseModel):
    model_config = example({"day": "2026-02-15", "dau": 12, "wau": 44, "mau": 70})

    day: date
    dau: int
    wau: int
    mau: int


class FeatureUsageOut(BaseModel):
    model_config = example({"feature": "reports", "customers": 52, "uses": 1870})

    feature: str | None = Field(description="null: activity that named no feature.")
    customers: int
    uses: int


class FeaturesOut(BaseModel):
    model_config = example(
        {
            "object": "feature_usage",
            "from": "2026-02-01",
            "to": "2026-02-28",
            "active_customers": 70,
            "data": [
                {"feature": "reports", "customers": 52, "uses": 1870},
                {"feature": "api_calls", "customers": 18, "uses": 90211},
            ],
            "onboarding": {
                "customers": 60,
                "completed": 41,
                "rate": 0.6833,
                "step_rate": 0.81,
            },
        }
    )

    object: Literal["feature_usage"] = "feature_usage"
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    active_customers: int
    data: list[FeatureUsageOut]
    onboarding: OnboardingRateOut


class OnboardingRateOut(BaseModel):
    model_config = example({"customers": 60, "completed": 41, "rate": 0.6833, "step_rate": 0.81})

    customers: int = Field(description="Live subscribers with onboarding steps to do.")
    completed: int = Field(description="Of them, those who did every step.")
    rate: float | None
    step_rate: float | None = Field(description="Steps done of all the steps to do.")


class ReasonOut(BaseModel):
    model_config = example(
        {"code": "payment_failed", "invoices": 1},
        {
            "code": "activity_fell",
            "active_days_per_week_before": 5.0,
            "active_days_per_week_recent": 0.5,
        },
    )

    code: Literal["cancellation_scheduled", "payment_failed", "activity_fell"]
    cancels_on: date | None = None
    invoices: int | None = Field(default=None, description="Open invoices past due or failed.")
    active_days_per_week_before: float | None = None
    active_days_per_week_recent: float | None = None


class ActionOut(BaseModel):
    model_config = example(
        {"method": "POST", "path": "/v1/portal_sessions", "body": {"customer": CUSTOMER}}
    )

    method: Literal["GET", "POST"]
    path: str
    body: dict[str, str] | None = None


AT_RISK_EXAMPLE = {
    "object": "at_risk_customer",
    "customer": CUSTOMER,
    "name": "Ana Popescu",
    "email": "ana.popescu@example.ro",
    "score": 70,
    "reasons": [
        {"code": "cancellation_scheduled", "cancels_on": "2026-03-15"},
        {
            "code": "activity_fell",
            "active_days_per_week_before": 5.0,
            "active_days_per_week_recent": 0.5,
        },
    ],
    "actions": {
        "customer": {"method": "GET", "path": f"/v1/customers/{CUSTOMER}"},
        "portal_session": {
            "method": "POST",
            "path": "/v1/portal_sessions",
            "body": {"customer": CUSTOMER},
        },
    },
}


class AtRiskOut(BaseModel):
    model_config = example(AT_RISK_EXAMPLE)

    object: Literal["at_risk_customer"] = "at_risk_customer"
    customer: str
    name: str | None
    email: str | None
    score: int = Field(description="0-100: cancellation 50, failed payment 30, activity 20.")
    reasons: list[ReasonOut]
    actions: dict[str, ActionOut] = Field(
        description="What one click does: `customer` reads it, `portal_session` makes a "
        "portal link to send the customer."
    )


class AtRiskListOut(BaseModel):
    model_config = example(
        {
            "object": "list",
            "as_of": "2026-03-01",
            "data": [AT_RISK_EXAMPLE],
            "has_more": False,
        }
    )

    object: Literal["list"] = "list"
    as_of: date
    data: list[AtRiskOut]
    has_more: bool


ActiveCustomersOut.model_rebuild()
FeaturesOut.model_rebuild()
