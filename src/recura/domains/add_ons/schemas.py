from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from recura.core.pricing import PricingModel
from recura.core.tax import Nature, RateKind
from recura.domains.common.fields import (
    SUPPLY_NATURE,
    TAX_RATE_KIND,
    Code,
    Metadata,
    Name,
    Schema,
    example,
    example_in,
)
from recura.domains.common.prices import PriceIn, PriceOut
from recura.domains.features.grants import GrantIn, GrantOut
from recura.domains.products.schemas import Description


class AddOnCreate(Schema):
    model_config = example_in(
        {
            "code": "extra-storage",
            "name": "Extra storage (100 GB)",
            "pricing_model": "per_unit",
            "prices": [
                {"currency": "RON", "unit_amount": "1500"},
                {"currency": "EUR", "unit_amount": "300"},
            ],
            "features": [{"feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "value": 100}],
        }
    )

    code: Code
    name: Name
    description: Description | None = None
    tax_rate_kind: RateKind = Field(default=RateKind.STANDARD, description=TAX_RATE_KIND)
    supply_nature: Nature = Field(default=Nature.ELECTRONIC, description=SUPPLY_NATURE)
    pricing_model: PricingModel
    prices: list[PriceIn] = Field(default_factory=list, max_length=50)
    features: list[GrantIn] = Field(default_factory=list, max_length=200)
    metadata: Metadata = Field(default_factory=dict)


class AddOnUpdate(Schema):
    """Prices are fixed once sold: to reprice, create a new add-on and archive this one. The
    VAT rate kind and supply nature can change: the next invoices tax it so."""

    model_config = example_in({"name": "Extra storage (100 GB, SSD)"})

    name: Name | None = None
    description: Description | None = None
    # Omitted keeps the current kind; null is rejected (every add-on has one).
    tax_rate_kind: RateKind | SkipJsonSchema[None] = Field(default=None, description=TAX_RATE_KIND)
    # Omitted keeps the current nature; null is rejected (every add-on has one).
    supply_nature: Nature | SkipJsonSchema[None] = Field(default=None, description=SUPPLY_NATURE)
    features: list[GrantIn] | None = Field(default=None, max_length=200)
    metadata: Metadata | None = None

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


class AddOnOut(BaseModel):
    model_config = example(
        {
            "object": "add_on",
            "id": "addon_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "code": "extra-storage",
            "name": "Extra storage (100 GB)",
            "description": None,
            "tax_rate_kind": "standard",
            "supply_nature": "electronic",
            "pricing_model": "per_unit",
            "prices": [{"currency": "RON", "unit_amount": "1500"}],
            "features": [],
            "metadata": {},
            "livemode": False,
            "archived": False,
            "created_at": "2026-01-15T09:30:00Z",
        }
    )

    object: Literal["add_on"] = "add_on"
    id: str
    code: str
    name: str
    description: str | None
    tax_rate_kind: RateKind = Field(description=TAX_RATE_KIND)
    supply_nature: Nature = Field(description=SUPPLY_NATURE)
    pricing_model: PricingModel
    prices: list[PriceOut]
    features: list[GrantOut]
    metadata: dict[str, str]
    livemode: bool
    archived: bool
    created_at: datetime
