from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from recura.core.pricing import PricingModel
from recura.core.tax import Nature, RateKind
from recura.domains.common.fields import (
    SUPPLY_NATURE,
    TAX_RATE_KIND,
    Code,
    Currency,
    Metadata,
    MoneyIn,
    MoneyOut,
    Name,
    Schema,
    example,
    example_in,
)
from recura.domains.common.prices import PriceIn, PriceOut, Quantity
from recura.domains.features.grants import GrantIn, GrantOut
from recura.domains.products.schemas import Description


class IntervalUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


# The longest interval allowed per unit: three years, as Stripe and Chargebee cap it too.
MAX_INTERVAL_COUNT = {
    IntervalUnit.DAY: 1095,
    IntervalUnit.WEEK: 156,
    IntervalUnit.MONTH: 36,
    IntervalUnit.YEAR: 3,
}


class BillingTiming(StrEnum):
    IN_ADVANCE = "in_advance"
    IN_ARREARS = "in_arrears"


BM_ID = "bm_01JD3Q4W5E6R7T8Y9U0I1O2P3A"
CHARGE_IN_EXAMPLE = {
    "billable_metric": BM_ID,
    "pricing_model": "tiered_graduated",
    "prices": [
        {
            "currency": "RON",
            "tiers": [
                {"up_to": "10000", "unit_amount": "0"},
                {"up_to": None, "unit_amount": "0.5"},
            ],
        }
    ],
}


class ChargeIn(Schema):
    model_config = example_in(CHARGE_IN_EXAMPLE)

    billable_metric: str
    pricing_model: PricingModel
    prices: list[PriceIn] = Field(default_factory=list, max_length=50)


class ChargeOut(BaseModel):
    model_config = example(
        {
            "id": "chg_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "billable_metric_code": "api_calls",
            **CHARGE_IN_EXAMPLE,
            # Responses spell out every tier field, flat_amount included.
            "prices": [
                {
                    "currency": "RON",
                    "tiers": [
                        {"up_to": "10000", "unit_amount": "0", "flat_amount": 0},
                        {"up_to": None, "unit_amount": "0.5", "flat_amount": 0},
                    ],
                }
            ],
        }
    )

    id: str
    billable_metric: str
    billable_metric_code: str
    pricing_model: PricingModel
    prices: list[PriceOut]


PLAN_IN_EXAMPLE = {
    "product": "prod_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "code": "pro-monthly",
    "name": "Pro",
    "interval_unit": "month",
    "interval_count": 1,
    "billing_timing": "in_advance",
    "trial_days": 14,
    "tax_rate_kind": "standard",
    "supply_nature": "electronic",
    "pricing_model": "per_unit",
    "prices": [
        {"currency": "RON", "unit_amount": "2900"},
        {"currency": "EUR", "unit_amount": "590"},
    ],
    "min_quantity": "1",
    "setup_fees": [],
    "charges": [CHARGE_IN_EXAMPLE],
    "features": [{"feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "value": 50}],
}


class PlanCreate(Schema):
    model_config = example_in(PLAN_IN_EXAMPLE)

    product: str
    code: Code
    name: Name
    description: Description | None = None
    interval_unit: IntervalUnit = IntervalUnit.MONTH
    interval_count: int = Field(default=1, ge=1, le=1095)
    billing_timing: BillingTiming = BillingTiming.IN_ADVANCE
    trial_days: int = Field(default=0, ge=0, le=730)
    tax_rate_kind: RateKind = Field(default=RateKind.STANDARD, description=TAX_RATE_KIND)
    supply_nature: Nature = Field(default=Nature.ELECTRONIC, description=SUPPLY_NATURE)
    pricing_model: PricingModel
    prices: list[PriceIn] = Field(default_factory=list, max_length=50)
    setup_fees: list[MoneyIn] = Field(default_factory=list, max_length=50)
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    charges: list[ChargeIn] = Field(default_factory=list, max_length=50)
    features: list[GrantIn] = Field(default_factory=list, max_length=200)
    metadata: Metadata = Field(default_factory=dict)


# Fields whose change creates a new plan version instead of editing the plan.
VERSIONED_FIELDS = (
    "pricing_model",
    "prices",
    "setup_fees",
    "min_quantity",
    "max_quantity",
    "charges",
)


class PlanUpdate(Schema):
    """Name, description, trial, VAT rate kind and supply nature, features and metadata
    change in place (the VAT ones from the next invoice on); a change to any price field
    creates a new version (subscriptions keep theirs until migrated)."""

    model_config = example_in({"prices": [{"currency": "RON", "unit_amount": "3400"}]})

    name: Name | None = None
    description: Description | None = None
    trial_days: int | None = Field(default=None, ge=0, le=730)
    # Omitted keeps the current kind; null is rejected (every plan has one).
    tax_rate_kind: RateKind | SkipJsonSchema[None] = Field(default=None, description=TAX_RATE_KIND)
    # Omitted keeps the current nature; null is rejected (every plan has one).
    supply_nature: Nature | SkipJsonSchema[None] = Field(default=None, description=SUPPLY_NATURE)
    metadata: Metadata | None = None
    features: list[GrantIn] | None = Field(default=None, max_length=200)
    # Omitted keeps the current model; null is rejected (every version has one).
    pricing_model: PricingModel | SkipJsonSchema[None] = None
    prices: list[PriceIn] | None = Field(default=None, max_length=50)
    setup_fees: list[MoneyIn] | None = Field(default=None, max_length=50)
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    charges: list[ChargeIn] | None = Field(default=None, max_length=50)

    @field_validator("pricing_model")
    @classmethod
    def _pricing_model_not_null(cls, value: PricingModel | None) -> PricingModel:
        if value is None:
            raise ValueError("cannot be null; omit it to keep the current pricing model")
        return value

    @field_validator("tax_rate_kind")
    @classmethod
    def _rate_kind_not_null(cls, value: RateKind | None) -> RateKind:
        if value is None:
            raise ValueError("cannot be null; omit it to keep the current rate kind")
        return value

    @field_validator("supply_nature")
    @classmethod
    def _nature_not_null(cls, value: Nature | None) -> Nature:
        if value is None:
            raise ValueError("cannot be null; omit it to keep the current supply nature")
        return value


VERSION_OUT_EXAMPLE = {
    "object": "plan_version",
    "id": "plv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "version": 1,
    "pricing_model": "per_unit",
    "prices": [{"currency": "RON", "unit_amount": "2900"}],
    "setup_fees": [],
    "min_quantity": "1",
    "max_quantity": None,
    "charges": [],
    "created_at": "2026-01-15T09:30:00Z",
}


class PlanVersionOut(BaseModel):
    model_config = example(VERSION_OUT_EXAMPLE)

    object: Literal["plan_version"] = "plan_version"
    id: str
    plan: str
    version: int
    pricing_model: PricingModel
    prices: list[PriceOut]
    setup_fees: list[MoneyOut]
    min_quantity: Decimal | None
    max_quantity: Decimal | None
    charges: list[ChargeOut]
    created_at: datetime


class PlanOut(BaseModel):
    model_config = example(
        {
            "object": "plan",
            "id": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "product": "prod_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "code": "pro-monthly",
            "name": "Pro",
            "description": None,
            "interval_unit": "month",
            "interval_count": 1,
            "billing_timing": "in_advance",
            "trial_days": 14,
            "tax_rate_kind": "standard",
            "supply_nature": "electronic",
            "features": [
                {
                    "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
                    "code": "projects",
                    "kind": "limit",
                    "value": 50,
                }
            ],
            "current_version": VERSION_OUT_EXAMPLE,
            "metadata": {},
            "livemode": False,
            "archived": False,
            "created_at": "2026-01-15T09:30:00Z",
            "updated_at": "2026-01-15T09:30:00Z",
        }
    )

    object: Literal["plan"] = "plan"
    id: str
    product: str
    code: str
    name: str
    description: str | None
    interval_unit: IntervalUnit
    interval_count: int
    billing_timing: BillingTiming
    trial_days: int
    tax_rate_kind: RateKind = Field(description=TAX_RATE_KIND)
    supply_nature: Nature = Field(description=SUPPLY_NATURE)
    features: list[GrantOut]
    current_version: PlanVersionOut
    metadata: dict[str, str]
    livemode: bool
    archived: bool
    created_at: datetime
    updated_at: datetime


class QuoteRequest(Schema):
    model_config = example_in(
        {"currency": "RON", "quantity": "5", "usage": {"api_calls": "120000"}}
    )

    currency: Currency
    quantity: Quantity = Decimal(1)
    usage: dict[str, Quantity] = Field(
        default_factory=dict, description="Usage per billable metric code, for metered charges."
    )
    version: int | None = Field(default=None, ge=1, description="Defaults to the current version.")
    include_setup_fee: bool = False


class QuoteLine(BaseModel):
    model_config = example(
        {
            "kind": "unit",
            "description": "Pro",
            "charge": None,
            "billable_metric": None,
            "tier": None,
            "quantity": "5",
            "unit_amount": "2900",
            "amount": {"amount": 14500, "currency": "RON"},
        }
    )

    kind: str
    description: str
    charge: str | None
    billable_metric: str | None
    tier: int | None
    quantity: Decimal
    unit_amount: Decimal
    amount: MoneyOut


class QuoteOut(BaseModel):
    model_config = example(
        {
            "object": "quote",
            "plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "version": 1,
            "currency": "RON",
            "quantity": "5",
            "lines": [QuoteLine.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
            "total": {"amount": 14500, "currency": "RON"},
        }
    )

    object: Literal["quote"] = "quote"
    plan: str
    version: int
    currency: str
    quantity: Decimal
    lines: list[QuoteLine]
    total: MoneyOut
