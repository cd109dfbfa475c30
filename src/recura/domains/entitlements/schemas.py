"""What a customer may use now: one entry per feature, shaped by the feature's kind."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from recura.domains.common.fields import example

BOOLEAN_EXAMPLE: dict[str, Any] = {
    "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "code": "sso",
    "kind": "boolean",
    "value": True,
}
LIMIT_EXAMPLE: dict[str, Any] = {
    "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3B",
    "code": "projects",
    "kind": "limit",
    "limit": 10,
}
METERED_EXAMPLE: dict[str, Any] = {
    "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3C",
    "code": "api_calls",
    "kind": "metered",
    "billable_metric": "bm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "limit": 10000,
    "used": "1520",
    "remaining": "8480",
    "period_start": "2026-03-01T00:00:00Z",
    "period_end": "2026-04-01T00:00:00Z",
}
UNLIMITED_EXAMPLE: dict[str, Any] = {
    **METERED_EXAMPLE,
    "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3D",
    "code": "storage_gb",
    "billable_metric": "bm_01JD3Q4W5E6R7T8Y9U0I1O2P3B",
    "limit": None,
    "used": "12.5",
    "remaining": None,
}


class BooleanEntitlementOut(BaseModel):
    model_config = example(BOOLEAN_EXAMPLE)

    feature: str
    code: str
    kind: Literal["boolean"]
    value: bool = Field(description="True when any live subscription grants it.")


class LimitEntitlementOut(BaseModel):
    model_config = example(LIMIT_EXAMPLE, {**LIMIT_EXAMPLE, "limit": None})

    feature: str
    code: str
    kind: Literal["limit"]
    limit: int | None = Field(description="The grants added up; null is unlimited.")


class MeteredEntitlementOut(BaseModel):
    model_config = example(METERED_EXAMPLE, UNLIMITED_EXAMPLE)

    feature: str
    code: str
    kind: Literal["metered"]
    billable_metric: str
    limit: int | None = Field(description="The usage cap, grants added up; null is unlimited.")
    used: Decimal = Field(description="The metric's value over the period so far.")
    remaining: Decimal | None = Field(
        description="What is left of the cap, never below 0; null when unlimited."
    )
    period_start: datetime = Field(
        description="Usage counts from here: the current period's start."
    )
    period_end: datetime = Field(description="The current billing period's end.")


Entitlement = Annotated[
    BooleanEntitlementOut | LimitEntitlementOut | MeteredEntitlementOut,
    Field(discriminator="kind"),
]


class EntitlementsOut(BaseModel):
    model_config = example(
        {
            "object": "entitlements",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "features": [BOOLEAN_EXAMPLE, LIMIT_EXAMPLE, METERED_EXAMPLE, UNLIMITED_EXAMPLE],
        }
    )

    object: Literal["entitlements"] = "entitlements"
    customer: str
    features: list[Entitlement] = Field(
        description="Every feature a trialing, active or past due subscription grants, by "
        "code. A feature that is not listed is not granted."
    )
