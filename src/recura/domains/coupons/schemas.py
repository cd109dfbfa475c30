from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from recura.domains.common.fields import (
    Code,
    Metadata,
    MoneyIn,
    MoneyOut,
    Name,
    Schema,
    Timestamp,
    example,
    example_in,
)

Duration = Literal["once", "repeating", "forever"]
ObjectId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Percent = Annotated[Decimal, Field(gt=0, le=100, decimal_places=4)]
# Exact in the database; a plain JSON number for clients (at most 4 decimals, so no drift).
PercentOut = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Redemptions = Annotated[int, Field(ge=1, le=1_000_000_000)]
PromoCode = Annotated[
    str,
    StringConstraints(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_-]+$"),
    AfterValidator(str.upper),
]


def _immutable(kind: str) -> Callable[[Any], Any]:
    def reject(value: Any) -> Any:
        raise ValueError(f"cannot be changed after creation; create a new {kind} instead")

    return reject


# Declared but hidden from OpenAPI, so sending one in a PATCH gets this reason, not "unknown field".
CouponTerm = SkipJsonSchema[Annotated[Any, BeforeValidator(_immutable("coupon"))]]
PromotionTerm = SkipJsonSchema[Annotated[Any, BeforeValidator(_immutable("promotion code"))]]


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("cannot be null")
    return value


COUPON_EXAMPLE: dict[str, Any] = {
    "object": "coupon",
    "id": "cpn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "code": "launch-20",
    "name": "Launch: 20% off for 3 months",
    "percent_off": 20.0,
    "amounts_off": [],
    "duration": "repeating",
    "duration_in_periods": 3,
    "max_redemptions": 100,
    "times_redeemed": 0,
    "redeem_by": "2026-06-30T21:00:00Z",
    "applies_to_plans": ["plan_01JD3Q4W5E6R7T8Y9U0I1O2P3B"],
    "metadata": {"campaign": "launch"},
    "livemode": False,
    "archived": False,
    "created_at": "2026-03-01T10:00:00Z",
    "updated_at": "2026-03-01T10:00:00Z",
}

PROMOTION_EXAMPLE: dict[str, Any] = {
    "object": "promotion_code",
    "id": "promo_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "code": "PARTNER-ACME20",
    "coupon": "cpn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "active": True,
    "max_redemptions": 50,
    "times_redeemed": 0,
    "expires_at": "2026-12-31T22:00:00Z",
    "customer": None,
    "first_time_only": True,
    "metadata": {"partner": "acme"},
    "livemode": False,
    "created_at": "2026-03-01T10:00:00Z",
    "updated_at": "2026-03-01T10:00:00Z",
}


class CouponCreate(Schema):
    model_config = example_in(
        {
            "code": "launch-20",
            "name": "Launch: 20% off for 3 months",
            "percent_off": 20,
            "duration": "repeating",
            "duration_in_periods": 3,
            "max_redemptions": 100,
            "redeem_by": "2026-06-30T21:00:00Z",
            "metadata": {"campaign": "launch"},
        },
        {
            "code": "welcome-50-ron",
            "name": "50 lei off",
            "amounts_off": [
                {"amount": 5000, "currency": "RON"},
                {"amount": 1000, "currency": "EUR"},
            ],
        },
    )

    code: Code = Field(description="Your identifier for the coupon; unique in the account.")
    name: Name
    percent_off: Percent | None = Field(
        default=None, description="0 < p ≤ 100, up to 4 decimals; or give amounts_off."
    )
    amounts_off: list[MoneyIn] = Field(
        default_factory=list,
        max_length=50,
        description="A fixed amount off per currency (one per currency); or give percent_off.",
    )
    duration: Duration = Field(default="once", description="How many billing periods it lasts.")
    duration_in_periods: int | None = Field(
        default=None, ge=1, le=120, description="Required when duration is repeating."
    )
    max_redemptions: Redemptions | None = None
    redeem_by: Timestamp | None = Field(
        default=None, description="Last moment it can be redeemed; must be in the future."
    )
    applies_to_plans: list[ObjectId] = Field(
        default_factory=list, max_length=100, description="Plan ids; empty means every plan."
    )
    metadata: Metadata = Field(default_factory=dict)


class CouponUpdate(Schema):
    """Name, metadata and limits change; the discount's terms never do."""

    model_config = example_in({"name": "Launch (extended)", "max_redemptions": 200})

    name: Name | None = None
    metadata: Metadata | None = None
    max_redemptions: Redemptions | None = Field(default=None, description="null: no limit.")
    redeem_by: Timestamp | None = Field(default=None, description="null: no deadline.")
    code: CouponTerm = None
    percent_off: CouponTerm = None
    amounts_off: CouponTerm = None
    duration: CouponTerm = None
    duration_in_periods: CouponTerm = None
    applies_to_plans: CouponTerm = None

    _name = field_validator("name")(_not_null)


class CouponOut(BaseModel):
    model_config = example(COUPON_EXAMPLE)

    object: Literal["coupon"] = "coupon"
    id: str
    code: str
    name: str
    percent_off: PercentOut | None
    amounts_off: list[MoneyOut]
    duration: Duration
    duration_in_periods: int | None
    max_redemptions: int | None
    times_redeemed: int
    redeem_by: datetime | None
    applies_to_plans: list[str]
    metadata: dict[str, Any]
    livemode: bool
    archived: bool
    created_at: datetime
    updated_at: datetime


class PromotionCodeCreate(Schema):
    model_config = example_in(
        {
            "code": "partner-acme20",
            "coupon": "cpn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "max_redemptions": 50,
            "expires_at": "2026-12-31T22:00:00Z",
            "first_time_only": True,
            "metadata": {"partner": "acme"},
        }
    )

    code: PromoCode = Field(
        description="What customers type: 3-40 of A-Z 0-9 - _; stored upper-cased."
    )
    coupon: ObjectId = Field(description="The coupon this code applies.")
    active: bool = True
    max_redemptions: Redemptions | None = None
    expires_at: Timestamp | None = Field(default=None, description="Must be in the future.")
    customer: ObjectId | None = Field(default=None, description="Only this customer may use it.")
    first_time_only: bool = Field(
        default=False, description="Only for customers who have never paid before."
    )
    metadata: Metadata = Field(default_factory=dict)


class PromotionCodeUpdate(Schema):
    """Deactivate instead of deleting; the code, coupon and customer never change."""

    model_config = example_in({"active": False}, {"expires_at": None, "max_redemptions": 80})

    active: bool | None = None
    metadata: Metadata | None = None
    max_redemptions: Redemptions | None = Field(default=None, description="null: no limit.")
    expires_at: Timestamp | None = Field(default=None, description="null: never expires.")
    code: PromotionTerm = None
    coupon: PromotionTerm = None
    customer: PromotionTerm = None
    first_time_only: PromotionTerm = None

    _active = field_validator("active")(_not_null)


class PromotionCodeOut(BaseModel):
    model_config = example(PROMOTION_EXAMPLE)

    object: Literal["promotion_code"] = "promotion_code"
    id: str
    code: str
    coupon: str
    active: bool
    max_redemptions: int | None
    times_redeemed: int
    expires_at: datetime | None
    customer: str | None
    first_time_only: bool
    metadata: dict[str, Any]
    livemode: bool
    created_at: datetime
    updated_at: datetime
