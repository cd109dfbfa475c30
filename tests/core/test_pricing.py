"""Tests for recura.core.pricing."""

from __future__ import annotations

import math
import pickle
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.money import Money
from recura.core.pricing import (
    PriceBreakdown,
    PriceLine,
    PriceSpec,
    PricingError,
    PricingModel,
    Tier,
    price,
    validate_spec,
)

D = Decimal
GRAD = PricingModel.GRADUATED
VOL = PricingModel.VOLUME


def half_up(value: Fraction) -> int:
    """Reference rounding, independent of the decimal module."""
    magnitude = abs(value)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


def check_lines_add_up(result: PriceBreakdown, currency: str) -> None:
    assert result.total == Money(sum(line.amount for line in result.lines), currency)
    assert result.currency == currency
    for line in result.lines:
        assert type(line.amount) is int
        assert line.amount >= 0


# --- strategies ---------------------------------------------------------------

unit_amounts = st.one_of(
    st.integers(min_value=0, max_value=10_000).map(Decimal),
    st.decimals(min_value=0, max_value=1000, places=3),
)
flat_amounts = st.integers(min_value=0, max_value=100_000)
quantities = st.one_of(
    st.integers(min_value=0, max_value=2000).map(Decimal),
    st.decimals(min_value=0, max_value=2000, places=4),
)


@st.composite
def tier_lists(draw: st.DrawFn, integral: bool = False) -> tuple[Tier, ...]:
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=1500), max_size=5)))
    amounts = st.integers(min_value=0, max_value=10_000).map(Decimal) if integral else unit_amounts
    tiers = [Tier(D(b), draw(amounts), draw(flat_amounts)) for b in bounds]
    tiers.append(Tier(None, draw(amounts), draw(flat_amounts)))
    return tuple(tiers)


def graduated_reference(tiers: tuple[Tier, ...], q: Decimal) -> int:
    """Hand sum across tiers, rounding each tier once."""
    total = 0
    lower = Fraction(0)
    for tier in tiers:
        upper = Fraction(tier.up_to) if tier.up_to is not None else Fraction(q)
        units = max(Fraction(0), min(Fraction(q), upper) - lower)
        if units > 0:
            total += half_up(units * Fraction(tier.unit_amount)) + tier.flat_amount
        lower = upper
    return total


# --- graduated ------------------------------------------------------------------


def test_graduated_worked_example() -> None:
    spec = PriceSpec(
        GRAD,
        "RON",
        tiers=(Tier(D(10), D(100)), Tier(D(20), D(80), flat_amount=500), Tier(None, D(50))),
    )
    result = price(spec, 25)
    assert result.quantity == D(25)
    assert result.lines == (
        PriceLine("tier", D(10), D(100), 1000, 1, D(0), D(10)),
        PriceLine("tier", D(10), D(80), 800, 2, D(10), D(20)),
        PriceLine("tier_flat", D(1), D(500), 500, 2, D(10), D(20)),
        PriceLine("tier", D(5), D(50), 250, 3, D(20), D(25)),
    )
    assert result.total == Money(2550, "RON")
    assert str(result.total) == "25.50 RON"
    # Exactly at a boundary the next tier is untouched.
    assert [line.tier for line in price(spec, 10).lines] == [1]
    assert price(spec, 10).total == Money(1000, "RON")
    assert price(spec, 20).total == Money(2300, "RON")


def test_graduated_zero_quantity_touches_no_tier() -> None:
    spec = PriceSpec(GRAD, "RON", tiers=(Tier(D(10), D(100), 999), Tier(None, D(1), 5)))
    result = price(spec, 0)
    assert result.lines == ()
    assert result.total == Money.zero("RON")


def test_graduated_fractional_quantity_and_unit_amount() -> None:
    # 0.05 bani per API call for the first 1000, then 0.02: rounded once per tier line.
    spec = PriceSpec(GRAD, "RON", tiers=(Tier(D(1000), D("0.05")), Tier(None, D("0.02"))))
    result = price(spec, D(1010))
    assert [line.amount for line in result.lines] == [50, 0]
    assert price(spec, D(1025)).total == Money(51, "RON")  # 50 + round(0.5)
    assert price(spec, D("10.5")).lines[0].quantity == D("10.5")


@given(tier_lists(), quantities)
def test_graduated_equals_hand_sum(tiers: tuple[Tier, ...], q: Decimal) -> None:
    result = price(PriceSpec(GRAD, "EUR", tiers=tiers), q)
    assert result.total.minor == graduated_reference(tiers, q)
    check_lines_add_up(result, "EUR")
    tier_lines = [line for line in result.lines if line.kind == "tier"]
    assert sum(line.quantity for line in tier_lines) == q
    # Tier lines are contiguous, 1-based and in order.
    expected_from = D(0)
    for number, line in enumerate(tier_lines, start=1):
        assert line.tier == number
        assert line.from_quantity == expected_from
        assert line.to_quantity is not None
        assert line.to_quantity - line.from_quantity == line.quantity
        assert line.quantity > 0
        assert line.amount == half_up(Fraction(line.quantity) * Fraction(line.unit_amount))
        expected_from = line.to_quantity
    for line in result.lines:
        if line.kind == "tier_flat":
            assert line.tier is not None
            assert line.amount == tiers[line.tier - 1].flat_amount > 0


@given(tier_lists(), quantities, quantities)
def test_graduated_is_non_decreasing(tiers: tuple[Tier, ...], a: Decimal, b: Decimal) -> None:
    spec = PriceSpec(GRAD, "RON", tiers=tiers)
    low, high = sorted((a, b))
    assert price(spec, low).total <= price(spec, high).total


def tier_of(tiers: tuple[Tier, ...], unit: int) -> tuple[int, Tier]:
    """0-based index and tier of the integer unit number `unit` (1-based)."""
    for i, tier in enumerate(tiers):
        if tier.up_to is None or unit <= tier.up_to:
            return i, tier
    raise AssertionError("unreachable")


@given(tier_lists(integral=True), st.integers(min_value=0, max_value=2000))
def test_graduated_is_continuous_at_every_step(tiers: tuple[Tier, ...], b: int) -> None:
    spec = PriceSpec(GRAD, "RON", tiers=tiers)
    index, tier = tier_of(tiers, b + 1)
    lower = 0 if index == 0 else tiers[index - 1].up_to
    first_unit_of_tier = b == lower
    marginal = int(tier.unit_amount) + (tier.flat_amount if first_unit_of_tier else 0)
    assert price(spec, b).total.minor + marginal == price(spec, b + 1).total.minor


@given(tier_lists())
def test_graduated_is_continuous_at_tier_boundaries(tiers: tuple[Tier, ...]) -> None:
    spec = PriceSpec(GRAD, "RON", tiers=tiers)
    for i, tier in enumerate(tiers[:-1]):
        assert tier.up_to is not None
        nxt = tiers[i + 1]
        before = price(spec, tier.up_to).total.minor
        after = price(spec, tier.up_to + 1).total.minor
        # One more unit adds the next tier's fee and one unit at its price; the
        # earlier lines are untouched, so no rounding can creep in.
        assert after - before == half_up(Fraction(nxt.unit_amount)) + nxt.flat_amount


# --- volume ---------------------------------------------------------------------


def test_volume_boundary_belongs_to_lower_tier_and_jumps_after() -> None:
    spec = PriceSpec(
        VOL, "RON", tiers=(Tier(D(10), D(100)), Tier(D(100), D(50), 300), Tier(None, D(10)))
    )
    at = price(spec, 10)
    assert at.lines == (PriceLine("tier", D(10), D(100), 1000, 1, D(0), D(10)),)
    after = price(spec, 11)
    assert after.lines == (
        PriceLine("tier", D(11), D(50), 550, 2, D(0), D(11)),
        PriceLine("tier_flat", D(1), D(300), 300, 2, D(0), D(11)),
    )
    assert after.total == Money(850, "RON")
    assert price(spec, D("10.001")).lines[0].tier == 2
    assert price(spec, 100).total == Money(5300, "RON")
    assert price(spec, 101).total == Money(1010, "RON")


def test_volume_zero_usage_costs_nothing() -> None:
    spec = PriceSpec(VOL, "RON", tiers=(Tier(D(10), D(100), 5000), Tier(None, D(1))))
    result = price(spec, 0)
    assert result.lines == (PriceLine("tier", D(0), D(100), 0, 1, D(0), D(0)),)
    assert result.total == Money.zero("RON")
    assert price(spec, D("0.001")).total == Money(5000, "RON")


@given(tier_lists(), quantities)
def test_volume_prices_whole_quantity_in_one_tier(tiers: tuple[Tier, ...], q: Decimal) -> None:
    result = price(PriceSpec(VOL, "USD", tiers=tiers), q)
    check_lines_add_up(result, "USD")
    index = next(i for i, t in enumerate(tiers) if t.up_to is None or q <= t.up_to)
    tier = tiers[index]
    expected = half_up(Fraction(q) * Fraction(tier.unit_amount))
    expected += tier.flat_amount if q > 0 else 0
    assert result.total.minor == expected
    assert {line.tier for line in result.lines} == {index + 1}
    assert result.lines[0].kind == "tier"
    assert result.lines[0].quantity == q


@given(tier_lists())
def test_volume_boundaries_use_the_lower_tier(tiers: tuple[Tier, ...]) -> None:
    spec = PriceSpec(VOL, "RON", tiers=tiers)
    for number, tier in enumerate(tiers[:-1], start=1):
        assert tier.up_to is not None
        assert price(spec, tier.up_to).lines[0].tier == number
        just_after = price(spec, tier.up_to + D("0.0001"))
        assert just_after.lines[0].tier == number + 1
        assert just_after.lines[0].unit_amount == tiers[number].unit_amount


# --- per unit, flat, package, free -------------------------------------------


def test_per_unit_rounds_once_per_line_not_per_unit() -> None:
    spec = PriceSpec(PricingModel.PER_UNIT, "RON", unit_amount=D("0.5"))
    result = price(spec, 3)
    assert result.lines == (PriceLine("unit", D(3), D("0.5"), 2),)  # 1.5 -> 2, not 3 x 1
    assert price(spec, 1).total == Money(1, "RON")
    assert price(spec, 0).total == Money(0, "RON")
    api = PriceSpec(PricingModel.PER_UNIT, "RON", unit_amount=D("0.05"))
    assert price(api, 1_000_001).total == Money(50000, "RON")  # 50000.05 bani
    assert price(api, 9).total == Money(0, "RON")  # 0.45 bani
    assert price(api, 10).total == Money(1, "RON")  # 0.5 bani rounds up


@given(unit_amounts, quantities)
def test_per_unit_matches_reference(unit_amount: Decimal, q: Decimal) -> None:
    result = price(PriceSpec(PricingModel.PER_UNIT, "EUR", unit_amount=unit_amount), q)
    assert len(result.lines) == 1
    assert result.total.minor == half_up(Fraction(q) * Fraction(unit_amount))
    check_lines_add_up(result, "EUR")


@given(quantities, st.integers(min_value=0, max_value=10**9))
def test_flat_ignores_quantity(q: Decimal, amount: int) -> None:
    result = price(PriceSpec(PricingModel.FLAT, "RON", amount=amount), q)
    assert result.lines == (PriceLine("flat", D(1), D(amount), amount),)
    assert result.total == Money(amount, "RON")
    assert result.quantity == q


@pytest.mark.parametrize(
    ("quantity", "packages"),
    [(0, 0), (1, 1), (9, 1), (10, 1), (11, 2), (20, 2), (21, 3), (D("10.0001"), 2), (D("0.1"), 1)],
)
def test_package_rounds_up_to_whole_packages(quantity: Decimal | int, packages: int) -> None:
    spec = PriceSpec(PricingModel.PACKAGE, "RON", amount=500, package_size=10)
    result = price(spec, quantity)
    assert result.lines == (PriceLine("package", D(packages), D(500), packages * 500),)
    assert result.total == Money(packages * 500, "RON")


@given(quantities, st.integers(min_value=1, max_value=1000), flat_amounts)
def test_package_matches_ceiling(q: Decimal, size: int, amount: int) -> None:
    spec = PriceSpec(PricingModel.PACKAGE, "RON", amount=amount, package_size=size)
    result = price(spec, q)
    packages = math.ceil(Fraction(q) / size)
    assert result.lines[0].quantity == packages
    assert result.total.minor == packages * amount


def test_package_huge_quantity_is_exact() -> None:
    spec = PriceSpec(PricingModel.PACKAGE, "RON", amount=1, package_size=3)
    q = D("1" + "0" * 40) + D("0.0000001")
    assert price(spec, q).total.minor == (10**40) // 3 + 1


@given(quantities)
def test_free_is_free(q: Decimal) -> None:
    result = price(PriceSpec(PricingModel.FREE, "RON"), q)
    assert result.lines == (PriceLine("free", q, D(0), 0),)
    assert result.total == Money(0, "RON")


# --- currencies -----------------------------------------------------------------


def test_jpy_spec() -> None:
    spec = PriceSpec(PricingModel.PER_UNIT, "JPY", unit_amount=D("33.5"))
    result = price(spec, 3)
    assert result.total == Money(101, "JPY")  # 100.5 yen -> 101
    assert str(result.total) == "101 JPY"
    tiered = PriceSpec(GRAD, "JPY", tiers=(Tier(D(5), D(1000)), Tier(None, D(800), 200)))
    assert str(price(tiered, 7).total) == "6800 JPY"


def test_bhd_spec() -> None:
    flat = PriceSpec(PricingModel.FLAT, "BHD", amount=1500)
    assert str(price(flat, 1).total) == "1.500 BHD"
    spec = PriceSpec(VOL, "BHD", tiers=(Tier(D(100), D("12.5")), Tier(None, D(10), 250)))
    assert price(spec, 3).total == Money(38, "BHD")  # 37.5 fils -> 38
    assert str(price(spec, 200).total) == "2.250 BHD"


# --- quantity checks ------------------------------------------------------------


def test_min_and_max_quantity_are_enforced() -> None:
    spec = PriceSpec(
        PricingModel.PER_UNIT, "RON", unit_amount=D(100), min_quantity=D(2), max_quantity=D(5)
    )
    assert price(spec, 2).total == Money(200, "RON")
    assert price(spec, 5).total == Money(500, "RON")
    for bad in (0, 1, D("1.99"), D("5.01"), 6):
        with pytest.raises(PricingError) as info:
            price(spec, bad)
        assert info.value.field == "quantity"
    flat = PriceSpec(PricingModel.FLAT, "RON", amount=100, max_quantity=D(1))
    with pytest.raises(PricingError, match="at most"):
        price(flat, 2)


@pytest.mark.parametrize(
    "quantity", [-1, D("-0.001"), D("NaN"), D("Infinity"), D("-Infinity"), 1.5, True, "3", None]
)
def test_bad_quantities(quantity: object) -> None:
    spec = PriceSpec(PricingModel.PER_UNIT, "RON", unit_amount=D(1))
    with pytest.raises(PricingError) as info:
        price(spec, quantity)  # type: ignore[arg-type]
    assert info.value.field == "quantity"


def test_negative_zero_quantity_is_zero() -> None:
    spec = PriceSpec(PricingModel.PER_UNIT, "RON", unit_amount=D(1))
    assert price(spec, D("-0")).total == Money(0, "RON")


# --- validation -----------------------------------------------------------------

T = Tier
INVALID: list[tuple[PriceSpec, str]] = [
    (PriceSpec(PricingModel.FLAT, "XYZ"), "currency"),
    (PriceSpec(PricingModel.FLAT, "ron"), "currency"),
    (PriceSpec("monthly", "RON"), "model"),  # type: ignore[arg-type]
    (PriceSpec(PricingModel.FLAT, "RON", amount=-1), "amount"),
    (PriceSpec(PricingModel.FLAT, "RON", amount=1.5), "amount"),  # type: ignore[arg-type]
    (PriceSpec(PricingModel.FLAT, "RON", amount=True), "amount"),
    (PriceSpec(PricingModel.PER_UNIT, "RON", unit_amount=D("-0.01")), "unit_amount"),
    (PriceSpec(PricingModel.PER_UNIT, "RON", unit_amount=D("NaN")), "unit_amount"),
    (PriceSpec(PricingModel.PER_UNIT, "RON", unit_amount=0.5), "unit_amount"),  # type: ignore[arg-type]
    (PriceSpec(GRAD, "RON"), "tiers"),
    (PriceSpec(VOL, "RON"), "tiers"),
    (PriceSpec(PricingModel.FLAT, "RON", tiers=(T(None),)), "tiers"),
    (PriceSpec(PricingModel.PER_UNIT, "RON", tiers=(T(None),)), "tiers"),
    (PriceSpec(GRAD, "RON", tiers=[T(None)]), "tiers"),  # type: ignore[arg-type]
    (PriceSpec(GRAD, "RON", tiers=(T(D(0)), T(None))), "tiers.0.up_to"),
    (PriceSpec(GRAD, "RON", tiers=(T(D(-5)), T(None))), "tiers.0.up_to"),
    (PriceSpec(GRAD, "RON", tiers=(T(D(10)), T(D(10)), T(None))), "tiers.1.up_to"),
    (PriceSpec(GRAD, "RON", tiers=(T(D(10)), T(D(20)), T(D(15)), T(None))), "tiers.2.up_to"),
    (PriceSpec(VOL, "RON", tiers=(T(D(10)), T(None), T(None))), "tiers.1.up_to"),
    (PriceSpec(VOL, "RON", tiers=(T(D(10)), T(D(20)))), "tiers.1.up_to"),
    (PriceSpec(VOL, "RON", tiers=(T(D(10)),)), "tiers.0.up_to"),
    (PriceSpec(GRAD, "RON", tiers=(T(D("NaN")), T(None))), "tiers.0.up_to"),
    (PriceSpec(GRAD, "RON", tiers=(T(10.5), T(None))), "tiers.0.up_to"),  # type: ignore[arg-type]
    (PriceSpec(GRAD, "RON", tiers=(T(D(10)), T(None, D(-1)))), "tiers.1.unit_amount"),
    (PriceSpec(GRAD, "RON", tiers=(T(D(10), D(1), -1), T(None))), "tiers.0.flat_amount"),
    (PriceSpec(GRAD, "RON", tiers=(T(D(10), D(1), 1.5), T(None))), "tiers.0.flat_amount"),  # type: ignore[arg-type]
    (PriceSpec(PricingModel.PACKAGE, "RON", amount=100, package_size=0), "package_size"),
    (PriceSpec(PricingModel.PACKAGE, "RON", amount=100, package_size=-3), "package_size"),
    (PriceSpec(PricingModel.PACKAGE, "RON", package_size=2.5), "package_size"),  # type: ignore[arg-type]
    (PriceSpec(PricingModel.FLAT, "RON", min_quantity=D(-1)), "min_quantity"),
    (PriceSpec(PricingModel.FLAT, "RON", max_quantity=D(-1)), "max_quantity"),
    (PriceSpec(PricingModel.FLAT, "RON", min_quantity=D(5), max_quantity=D(4)), "max_quantity"),
    (PriceSpec(PricingModel.FLAT, "RON", min_quantity=D("NaN")), "min_quantity"),
]


@pytest.mark.parametrize(("spec", "field"), INVALID)
def test_validation_errors_carry_the_field(spec: PriceSpec, field: str) -> None:
    with pytest.raises(PricingError) as info:
        validate_spec(spec)
    assert info.value.field == field
    assert str(info.value) == info.value.message
    assert info.value.message
    # price() validates too, before looking at the quantity.
    with pytest.raises(PricingError) as again:
        price(spec, 1)
    assert again.value.field == field


@pytest.mark.parametrize(
    "spec",
    [
        PriceSpec(PricingModel.FLAT, "RON", amount=4900),
        PriceSpec(PricingModel.FREE, "EUR"),
        PriceSpec(PricingModel.PER_UNIT, "JPY", unit_amount=D("0.001")),
        PriceSpec(PricingModel.PACKAGE, "BHD", amount=1000, package_size=100),
        PriceSpec(GRAD, "RON", tiers=(T(None, D(1)),)),
        PriceSpec(VOL, "RON", tiers=(T(D("0.5")), T(D(1)), T(None))),
        PriceSpec(PricingModel.FLAT, "RON", min_quantity=D(1), max_quantity=D(1)),
        PriceSpec("per_unit", "RON", unit_amount=D(1)),  # type: ignore[arg-type]
    ],
)
def test_valid_specs_pass(spec: PriceSpec) -> None:
    validate_spec(spec)


@given(tier_lists())
def test_generated_tiers_are_valid(tiers: tuple[Tier, ...]) -> None:
    validate_spec(PriceSpec(GRAD, "RON", tiers=tiers))
    validate_spec(PriceSpec(VOL, "RON", tiers=tiers))


def test_pricing_error_shape() -> None:
    err = PricingError("tiers.2.up_to", "up_to must be greater than the previous tier's up_to")
    assert isinstance(err, ValueError)
    assert err.field == "tiers.2.up_to"
    assert str(err) == err.message
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301
    assert (copy.field, copy.message) == (err.field, err.message)


def test_model_values() -> None:
    assert {m.value for m in PricingModel} == {
        "flat",
        "per_unit",
        "tiered_graduated",
        "tiered_volume",
        "package",
        "free",
    }
    assert PricingModel("tiered_volume") is VOL
