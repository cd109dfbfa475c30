"""Price models: turn a price specification and a quantity into priced lines."""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from recura.core.money import ROUNDING, Money, is_currency, round_minor

__all__ = [
    "PriceBreakdown",
    "PriceLine",
    "PriceSpec",
    "PricingError",
    "PricingModel",
    "Tier",
    "price",
    "validate_spec",
]


class PricingModel(StrEnum):
    """How quantity maps to an amount; the values are stored and sent over the API."""

    FLAT = "flat"
    PER_UNIT = "per_unit"
    GRADUATED = "tiered_graduated"
    VOLUME = "tiered_volume"
    PACKAGE = "package"
    FREE = "free"


_TIERED: Final = frozenset({PricingModel.GRADUATED, PricingModel.VOLUME})

# Unbounded precision so that quantity x unit amount and tier widths are exact
# and the only rounding is the one round_minor() applies per line.
_EXACT: Final = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    rounding=ROUNDING,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


class PricingError(ValueError):
    """Invalid price or quantity.

    `field` is a path relative to the price, with 0-based tier indexes:
    "tiers.2.up_to" is the third tier's bound.
    """

    def __init__(self, field: str, message: str) -> None:
        # Both go into args so the exception survives pickling and copying.
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier; `unit_amount` is in minor units and may be fractional."""

    up_to: Decimal | None
    unit_amount: Decimal = Decimal(0)
    flat_amount: int = 0


@dataclass(frozen=True, slots=True)
class PriceSpec:
    """How a price is computed; amounts are in minor units of `currency`."""

    model: PricingModel
    currency: str
    amount: int = 0
    unit_amount: Decimal = Decimal(0)
    tiers: tuple[Tier, ...] = ()
    package_size: int = 1
    min_quantity: Decimal | None = None
    max_quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One priced component; `amount` is already rounded to whole minor units."""

    kind: str
    quantity: Decimal
    unit_amount: Decimal
    amount: int
    tier: int | None = None
    from_quantity: Decimal | None = None
    to_quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    """The priced lines for one quantity; `total` is their exact sum."""

    currency: str
    quantity: Decimal
    lines: tuple[PriceLine, ...]

    @property
    def total(self) -> Money:
        return Money(sum(line.amount for line in self.lines), self.currency)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decimal(value: object, field: str) -> Decimal:
    """A finite Decimal from a Decimal or int; floats are refused as inexact."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    raise PricingError(field, f"{field} must be a finite decimal number, got {value!r}")


def _optional_decimal(value: object, field: str) -> Decimal | None:
    return None if value is None else _decimal(value, field)


def _non_negative(value: object, field: str) -> Decimal:
    result = _decimal(value, field)
    if result < 0:
        raise PricingError(field, f"{field} must not be negative")
    return result


def _non_negative_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PricingError(field, f"{field} must be an integer number of minor units")
    if value < 0:
        raise PricingError(field, f"{field} must not be negative")
    return value


def _validate_tiers(spec: PriceSpec, model: PricingModel) -> None:
    if not isinstance(spec.tiers, tuple) or not all(isinstance(t, Tier) for t in spec.tiers):
        raise PricingError("tiers", "tiers must be a tuple of Tier")
    if model not in _TIERED:
        if spec.tiers:
            raise PricingError("tiers", f"tiers are not allowed for the {model} model")
        return
    if not spec.tiers:
        raise PricingError("tiers", f"the {model} model needs at least one tier")
    last = len(spec.tiers) - 1
    previous = Decimal(0)
    for i, tier in enumerate(spec.tiers):
        path = f"tiers.{i}"
        _non_negative(tier.unit_amount, f"{path}.unit_amount")
        _non_negative_int(tier.flat_amount, f"{path}.flat_amount")
        up_to = _optional_decimal(tier.up_to, f"{path}.up_to")
        if up_to is None:
            if i != last:
                raise PricingError(f"{path}.up_to", "only the last tier may be unbounded")
            continue
        if i == last:
            # An upper bound on the last tier would leave larger quantities unpriced;
            # capping usage is what max_quantity is for.
            raise PricingError(f"{path}.up_to", "the last tier must be unbounded (up_to: null)")
        if up_to <= previous:
            what = "greater than 0" if i == 0 else "greater than the previous tier's up_to"
            raise PricingError(f"{path}.up_to", f"up_to must be {what}")
        previous = up_to


def validate_spec(spec: PriceSpec) -> None:
    """Raise PricingError (with the offending field) if `spec` cannot be priced."""
    try:
        model = PricingModel(spec.model)
    except ValueError:
        raise PricingError("model", f"unknown pricing model {spec.model!r}") from None
    if not is_currency(spec.currency):
        raise PricingError("currency", f"unknown currency code {spec.currency!r}")
    _non_negative_int(spec.amount, "amount")
    _non_negative(spec.unit_amount, "unit_amount")
    if not _is_int(spec.package_size) or spec.package_size < 1:
        raise PricingError("package_size", "package_size must be an integer of at least 1")
    low = _optional_decimal(spec.min_quantity, "min_quantity")
    high = _optional_decimal(spec.max_quantity, "max_quantity")
    if low is not None and low < 0:
        raise PricingError("min_quantity", "min_quantity must not be negative")
    if high is not None and high < 0:
        raise PricingError("max_quantity", "max_quantity must not be negative")
    if low is not None and high is not None and low > high:
        raise PricingError("max_quantity", "max_quantity must not be less than min_quantity")
    _validate_tiers(spec, model)


def _check_quantity(spec: PriceSpec, quantity: object) -> Decimal:
    q = _non_negative(quantity, "quantity")
    if spec.min_quantity is not None and q < spec.min_quantity:
        raise PricingError("quantity", f"quantity must be at least {spec.min_quantity}")
    if spec.max_quantity is not None and q > spec.max_quantity:
        raise PricingError("quantity", f"quantity must be at most {spec.max_quantity}")
    return q


def _mul(a: Decimal, b: Decimal) -> Decimal:
    return _EXACT.multiply(a, b)


def _tier_lines(
    number: int, tier: Tier, units: Decimal, start: Decimal, end: Decimal, *, charge_flat: bool
) -> list[PriceLine]:
    unit_amount = _decimal(tier.unit_amount, "unit_amount")
    lines = [
        PriceLine(
            kind="tier",
            quantity=units,
            unit_amount=unit_amount,
            # Rounded once for the whole tier line, never per unit.
            amount=round_minor(_mul(units, unit_amount)),
            tier=number,
            from_quantity=start,
            to_quantity=end,
        )
    ]
    if charge_flat and tier.flat_amount:
        lines.append(
            PriceLine(
                kind="tier_flat",
                quantity=Decimal(1),
                unit_amount=Decimal(tier.flat_amount),
                amount=tier.flat_amount,
                tier=number,
                from_quantity=start,
                to_quantity=end,
            )
        )
    return lines


def _graduated(tiers: tuple[Tier, ...], q: Decimal) -> list[PriceLine]:
    lines: list[PriceLine] = []
    lower = Decimal(0)
    for number, tier in enumerate(tiers, start=1):
        if q <= lower:
            break
        upper = q if tier.up_to is None else min(q, Decimal(tier.up_to))
        units = _EXACT.subtract(upper, lower)
        lines += _tier_lines(number, tier, units, lower, upper, charge_flat=True)
        if tier.up_to is None:
            break
        lower = Decimal(tier.up_to)
    return lines


def _volume(tiers: tuple[Tier, ...], q: Decimal) -> list[PriceLine]:
    for number, tier in enumerate(tiers, start=1):
        if tier.up_to is None or q <= tier.up_to:
            # Zero usage costs nothing: the tier's flat fee is charged only once
            # at least some quantity was actually used.
            return _tier_lines(number, tier, q, Decimal(0), q, charge_flat=q > 0)
    raise AssertionError("validated tiers always end with an unbounded tier")


def _packages(q: Decimal, size: int) -> int:
    # Integer arithmetic on the exact ratio, so the ceiling is never off by one
    # because of decimal precision.
    num, den = q.as_integer_ratio()
    return -(-num // (den * size))


# Specs already validated, by identity (equal-looking values such as True and 1 must not
# share a verdict); held here, so an id cannot be reused by another object meanwhile. A
# billing run prices the same few spec objects for thousands of subscriptions.
_VALID: dict[int, PriceSpec] = {}
_VALID_MAX: Final = 4096


def _validated(spec: PriceSpec) -> None:
    if _VALID.get(id(spec)) is spec:
        return
    validate_spec(spec)
    if len(_VALID) >= _VALID_MAX:
        _VALID.clear()
    _VALID[id(spec)] = spec


def price(spec: PriceSpec, quantity: Decimal | int) -> PriceBreakdown:
    """Price `quantity` units under `spec`; raises PricingError on a bad spec or quantity."""
    _validated(spec)
    q = _check_quantity(spec, quantity)
    model = PricingModel(spec.model)
    lines: list[PriceLine]
    if model is PricingModel.FLAT:
        lines = [PriceLine("flat", Decimal(1), Decimal(spec.amount), spec.amount)]
    elif model is PricingModel.PER_UNIT:
        unit_amount = _decimal(spec.unit_amount, "unit_amount")
        lines = [PriceLine("unit", q, unit_amount, round_minor(_mul(q, unit_amount)))]
    elif model is PricingModel.GRADUATED:
        lines = _graduated(spec.tiers, q)
    elif model is PricingModel.VOLUME:
        lines = _volume(spec.tiers, q)
    elif model is PricingModel.PACKAGE:
        packages = _packages(q, spec.package_size)
        lines = [
            PriceLine("package", Decimal(packages), Decimal(spec.amount), packages * spec.amount)
        ]
    else:
        lines = [PriceLine("free", q, Decimal(0), 0)]
    return PriceBreakdown(currency=spec.currency, quantity=q, lines=tuple(lines))
