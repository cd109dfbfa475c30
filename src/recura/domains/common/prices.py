"""Prices as the API takes them (one per currency) and their translation to core.pricing.

Unit amounts are decimal strings of minor units, so a metered price can be a fraction of a
ban ("0.05"); flat, package and tier-flat amounts are whole minor units.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field

from recura.core.pricing import PriceSpec, PricingError, PricingModel, Tier, validate_spec
from recura.domains.common.errors import FieldError, InvalidError, invalid
from recura.domains.common.fields import MAX_MINOR, Currency, Schema, example, example_in

UnitAmount = Annotated[Decimal, Field(ge=0, le=MAX_MINOR, max_digits=28, decimal_places=12)]
Quantity = Annotated[Decimal, Field(ge=0, le=10**12, max_digits=24, decimal_places=6)]


def within_limit(amount: int, pointer: str) -> int:
    """`amount` (minor units) if one price may come to it; a 422 at `pointer` otherwise. A
    price's inputs are bounded (MAX_MINOR each), but a quantity times a unit amount is not,
    and an invoice's columns hold 64-bit integers."""
    if amount > MAX_MINOR:
        raise invalid(
            pointer, f"comes to {amount} minor units, more than the {MAX_MINOR} a price may reach"
        )
    return amount


# The fields each model reads; anything else sent with it is a mistake worth reporting.
FIELDS_BY_MODEL: dict[PricingModel, set[str]] = {
    PricingModel.FLAT: {"amount"},
    PricingModel.PER_UNIT: {"unit_amount"},
    PricingModel.GRADUATED: {"tiers"},
    PricingModel.VOLUME: {"tiers"},
    PricingModel.PACKAGE: {"amount", "package_size"},
    PricingModel.FREE: set(),
}
OPTIONAL_FIELDS = {"amount", "unit_amount", "tiers", "package_size"}


class TierIn(Schema):
    model_config = example_in({"up_to": "1000", "unit_amount": "5", "flat_amount": 0})

    up_to: Quantity | None = Field(description="Last unit of the tier; null for the last tier.")
    unit_amount: UnitAmount = Decimal(0)
    flat_amount: int = Field(default=0, ge=0, le=MAX_MINOR)


class PriceIn(Schema):
    model_config = example_in(
        {"currency": "RON", "amount": 4900},
        {"currency": "EUR", "unit_amount": "990"},
        {
            "currency": "RON",
            "tiers": [
                {"up_to": "10000", "unit_amount": "0"},
                {"up_to": None, "unit_amount": "0.5"},
            ],
        },
    )

    currency: Currency
    amount: int | None = Field(default=None, ge=0, le=MAX_MINOR)
    unit_amount: UnitAmount | None = None
    tiers: list[TierIn] | None = Field(default=None, min_length=1, max_length=50)
    package_size: int | None = Field(default=None, ge=1, le=10**9)


class TierOut(BaseModel):
    model_config = example({"up_to": "1000", "unit_amount": "5", "flat_amount": 0})

    up_to: Decimal | None
    unit_amount: Decimal
    flat_amount: int


class PriceOut(BaseModel):
    model_config = example({"currency": "RON", "amount": 4900})

    currency: str
    amount: int | None = None
    unit_amount: Decimal | None = None
    tiers: list[TierOut] | None = None
    package_size: int | None = None


def check_prices(
    model: PricingModel,
    prices: list[PriceIn],
    pointer: str,
    min_quantity: Decimal | None = None,
    max_quantity: Decimal | None = None,
) -> list[dict[str, Any]]:
    """Validate every price against its model; return them as stored (JSON-ready dicts)."""
    errors: list[FieldError] = []
    if not prices and model is not PricingModel.FREE:
        errors.append(FieldError(pointer, "at least one price (one per currency) is required"))
    seen: set[str] = set()
    for index, price in enumerate(prices):
        here = f"{pointer}/{index}"
        if price.currency in seen:
            errors.append(FieldError(f"{here}/currency", f"{price.currency} is priced twice"))
        seen.add(price.currency)
        sent = {f for f in OPTIONAL_FIELDS if getattr(price, f) is not None}
        needed = FIELDS_BY_MODEL[model] - {"package_size"}
        for field in sorted(sent - FIELDS_BY_MODEL[model]):
            errors.append(FieldError(f"{here}/{field}", f"is not used by the {model} model"))
        for field in sorted(needed - sent):
            errors.append(FieldError(f"{here}/{field}", f"is required by the {model} model"))
        if sent - FIELDS_BY_MODEL[model] or needed - sent:
            continue
        try:
            validate_spec(to_spec(model, price, min_quantity, max_quantity))
        except PricingError as exc:
            field = exc.field.replace(".", "/")
            target = pointer_for(field, here, pointer)
            errors.append(FieldError(target, exc.message))
    if errors:
        raise InvalidError(errors)
    return [_stored(p) for p in prices]


def _stored(price: PriceIn) -> dict[str, Any]:
    # Drop the fields the model does not use, but keep a tier's `up_to: null` (unbounded).
    return {k: v for k, v in price.model_dump(mode="json").items() if v is not None}


def pointer_for(field: str, price_pointer: str, prices_pointer: str) -> str:
    # Quantity bounds belong to the plan, not to one price.
    if field in {"min_quantity", "max_quantity"}:
        return prices_pointer.rsplit("/", 1)[0] + "/" + field
    return f"{price_pointer}/{field}"


def to_spec(
    model: PricingModel,
    price: PriceIn,
    min_quantity: Decimal | None = None,
    max_quantity: Decimal | None = None,
) -> PriceSpec:
    return PriceSpec(
        model=model,
        currency=price.currency,
        amount=price.amount or 0,
        unit_amount=price.unit_amount if price.unit_amount is not None else Decimal(0),
        tiers=tuple(
            Tier(up_to=t.up_to, unit_amount=t.unit_amount, flat_amount=t.flat_amount)
            for t in price.tiers or ()
        ),
        package_size=price.package_size or 1,
        min_quantity=min_quantity,
        max_quantity=max_quantity,
    )


def stored_spec(
    model: str,
    prices: list[dict[str, Any]],
    currency: str,
    min_quantity: Decimal | None = None,
    max_quantity: Decimal | None = None,
) -> PriceSpec | None:
    """The spec for one currency from stored prices; None when that currency is not priced.

    A free price needs no amounts, so it is available in every currency.
    """
    pricing_model = PricingModel(model)
    if pricing_model is PricingModel.FREE:
        return PriceSpec(model=pricing_model, currency=currency)
    for raw in prices:
        if raw["currency"] == currency:
            return to_spec(pricing_model, PriceIn.model_validate(raw), min_quantity, max_quantity)
    return None


def prices_out(prices: list[dict[str, Any]]) -> list[PriceOut]:
    return [PriceOut.model_validate(p) for p in prices]
