"""Tests for recura.core.money."""

from __future__ import annotations

import dataclasses
import pickle
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from recura.core.money import (
    CURRENCIES,
    ROUNDING,
    CurrencyError,
    CurrencyMismatchError,
    Money,
    allocate,
    exponent,
    is_currency,
    round_minor,
    sum_money,
)

totals = st.integers(min_value=-(10**15), max_value=10**15)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(
    lambda ws: sum(ws) > 0
)
currencies = st.sampled_from(sorted(CURRENCIES))
minors = st.integers(min_value=-(10**18), max_value=10**18)


def reference_half_up(value: Fraction) -> int:
    """Half away from zero, computed independently of the decimal module."""
    magnitude = abs(value)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


# --- allocate ---------------------------------------------------------------


@given(totals, weight_lists)
def test_allocation_sums_exactly_and_stays_within_one_of_exact_share(
    total: int, weights: list[int]
) -> None:
    shares = allocate(total, weights)
    assert len(shares) == len(weights)
    assert sum(shares) == total
    weight_sum = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert abs(share - exact) < 1


@given(totals, weight_lists)
def test_allocation_gives_zero_weights_nothing(total: int, weights: list[int]) -> None:
    for share, weight in zip(allocate(total, weights), weights, strict=True):
        if weight == 0:
            assert share == 0


@given(st.integers(min_value=0, max_value=10**15), weight_lists)
def test_allocation_of_negative_total_mirrors_positive(total: int, weights: list[int]) -> None:
    assert allocate(-total, weights) == [-share for share in allocate(total, weights)]


@given(st.integers(min_value=0, max_value=10**9), weight_lists)
def test_allocation_hands_extra_units_by_largest_remainder_then_index(
    total: int, weights: list[int]
) -> None:
    weight_sum = sum(weights)
    shares = allocate(total, weights)
    remainders = [(total * w) % weight_sum for w in weights]
    bumped = [share != (total * w) // weight_sum for share, w in zip(shares, weights, strict=True)]
    for i in range(len(weights)):
        for j in range(len(weights)):
            if bumped[i] and not bumped[j]:
                assert (remainders[i], -i) > (remainders[j], -j)


def test_allocation_tie_break_prefers_earlier_index() -> None:
    assert allocate(1, [1, 1, 1]) == [1, 0, 0]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(-1, [1, 1]) == [-1, 0]
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(5, [0, 3, 1]) == [0, 4, 1]
    assert allocate(0, [2, 5]) == [0, 0]
    assert allocate(7, (3,)) == [7]


@pytest.mark.parametrize(
    "weights",
    [[], [0], [0, 0], [1, -1], [2, -1], [1.0], [True, 1], [Decimal(1)], ["1"]],
)
def test_allocation_rejects_bad_weights(weights: list[object]) -> None:
    with pytest.raises(ValueError, match="weight"):
        allocate(10, weights)  # type: ignore[arg-type]


@pytest.mark.parametrize("total", [1.0, Decimal(1), True, "1"])
def test_allocation_rejects_non_int_total(total: object) -> None:
    with pytest.raises(TypeError):
        allocate(total, [1, 1])  # type: ignore[arg-type]


@given(minors, currencies, weight_lists)
def test_money_allocate_preserves_total_and_currency(
    minor: int, currency: str, weights: list[int]
) -> None:
    money = Money(minor, currency)
    parts = money.allocate(weights)
    assert [p.currency for p in parts] == [currency] * len(weights)
    assert sum_money(parts, currency) == money
    assert [p.minor for p in parts] == allocate(minor, weights)


# --- currencies -------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        ("RON", 2),
        ("EUR", 2),
        ("USD", 2),
        ("GBP", 2),
        ("HUF", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("CLP", 0),
        ("ISK", 0),
        ("VND", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("JOD", 3),
        ("OMR", 3),
        ("TND", 3),
        ("IQD", 3),
        ("LYD", 3),
        ("CLF", 4),
        ("UYW", 4),
    ],
)
def test_exponents(code: str, digits: int) -> None:
    assert exponent(code) == digits
    assert is_currency(code)
    assert code in CURRENCIES


@pytest.mark.parametrize(
    "code",
    ["", "ron", "Ron", "RO", "RONN", "ABC", "XXX", "XAU", "XTS", " RON", "HRK", "ZWL", "R0N"],
)
def test_unknown_or_malformed_currency(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(CurrencyError):
        exponent(code)
    with pytest.raises(CurrencyError):
        Money(1, code)
    with pytest.raises(CurrencyError):
        Money.zero(code)
    with pytest.raises(CurrencyError):
        Money.from_major("1", code)


def test_is_currency_on_non_string() -> None:
    assert not is_currency(None)  # type: ignore[arg-type]
    with pytest.raises(CurrencyError):
        Money(1, None)  # type: ignore[arg-type]


def test_currency_table_is_well_formed() -> None:
    assert len(CURRENCIES) > 150
    assert isinstance(CURRENCIES, frozenset)
    for code in CURRENCIES:
        assert len(code) == 3
        assert code.isascii()
        assert code.isalpha()
        assert code.isupper()
        assert exponent(code) in {0, 2, 3, 4}


def test_currency_errors_are_value_errors() -> None:
    assert issubclass(CurrencyError, ValueError)
    assert issubclass(CurrencyMismatchError, ValueError)


# --- rounding ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.5", 1),
        ("-0.5", -1),
        ("1.5", 2),
        ("2.5", 3),
        ("-2.5", -3),
        ("0.4999999", 0),
        ("-0.4999999", 0),
        ("0.5000001", 1),
        ("7", 7),
        ("-7.0", -7),
        ("0", 0),
        ("-0", 0),
        ("1E+3", 1000),
        ("123456789012345678901234567890123456.5", 123456789012345678901234567890123457),
    ],
)
def test_round_minor_half_away_from_zero(value: str, expected: int) -> None:
    result = round_minor(Decimal(value))
    assert result == expected
    assert type(result) is int


def test_rounding_policy_constant() -> None:
    assert ROUNDING == "ROUND_HALF_UP"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6))
@example(Decimal("0.5"))
@example(Decimal("-0.5"))
def test_round_minor_matches_reference_and_is_symmetric(value: Decimal) -> None:
    result = round_minor(value)
    assert result == reference_half_up(Fraction(value))
    # copy_negate, not unary minus: the latter rounds to the context's 28 digits.
    assert round_minor(value.copy_negate()) == -result
    assert abs(Fraction(result) - Fraction(value)) <= Fraction(1, 2)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_round_minor_rejects_non_finite(value: Decimal) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        round_minor(value)


def test_round_minor_rejects_float() -> None:
    with pytest.raises(TypeError):
        round_minor(0.5)  # type: ignore[arg-type]


# --- Money construction and conversion ---------------------------------------


@pytest.mark.parametrize("minor", [1.0, Decimal(1), "1", True, False, None])
def test_money_requires_a_real_int(minor: object) -> None:
    with pytest.raises(TypeError):
        Money(minor, "RON")  # type: ignore[arg-type]


def test_money_is_immutable_and_hashable() -> None:
    money = Money(100, "RON")
    with pytest.raises(dataclasses.FrozenInstanceError):
        money.minor = 5  # type: ignore[misc]
    assert {money, Money(100, "RON")} == {money}
    assert pickle.loads(pickle.dumps(money)) == money  # noqa: S301


@given(minors, currencies)
def test_major_round_trip_for_every_currency(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    major = money.to_major()
    assert major.as_tuple().exponent == -exponent(currency)
    assert Money.from_major(major, currency) == money
    assert Money.from_major(str(major), currency) == money
    assert Money.from_major(format(major, "f"), currency) == money


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_jpy_and_bhd_round_trip(minor: int) -> None:
    yen = Money(minor, "JPY")
    assert yen.to_major() == Decimal(minor)
    assert Money.from_major(yen.to_major(), "JPY") == yen
    dinar = Money(minor, "BHD")
    assert dinar.to_major() * 1000 == minor
    assert Money.from_major(dinar.to_major(), "BHD") == dinar


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("49.00", "RON", 4900),
        ("49", "RON", 4900),
        (Decimal("49.99"), "EUR", 4999),
        (49, "RON", 4900),
        ("0.005", "RON", 1),
        ("-0.005", "RON", -1),
        ("0.0049", "RON", 0),
        ("0.5", "JPY", 1),
        ("2.5", "JPY", 3),
        ("-2.5", "JPY", -3),
        ("100", "JPY", 100),
        ("1.5", "BHD", 1500),
        ("1.0005", "BHD", 1001),
        ("0.0004", "BHD", 0),
        (" 12.34 ", "USD", 1234),
        ("1e2", "USD", 10000),
    ],
)
def test_from_major_rounds_with_the_one_policy(
    value: Decimal | str, currency: str, minor: int
) -> None:
    assert Money.from_major(value, currency) == Money(minor, currency)


@pytest.mark.parametrize("value", ["abc", "", "1,5", "NaN", "Infinity", "-inf"])
def test_from_major_rejects_garbage(value: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        Money.from_major(value, "RON")


@pytest.mark.parametrize("value", [1.5, True, None, Fraction(1, 2)])
def test_from_major_rejects_inexact_types(value: object) -> None:
    with pytest.raises(TypeError):
        Money.from_major(value, "RON")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(4900, "RON"), "49.00 RON"),
        (Money(0, "RON"), "0.00 RON"),
        (Money(5, "RON"), "0.05 RON"),
        (Money(-5, "RON"), "-0.05 RON"),
        (Money(-4999, "EUR"), "-49.99 EUR"),
        (Money(100, "JPY"), "100 JPY"),
        (Money(0, "JPY"), "0 JPY"),
        (Money(-7, "KRW"), "-7 KRW"),
        (Money(1500, "BHD"), "1.500 BHD"),
        (Money(5, "BHD"), "0.005 BHD"),
        (Money(0, "KWD"), "0.000 KWD"),
        (Money(10**24, "JPY"), "1" + "0" * 24 + " JPY"),
        (Money(10**24, "USD"), "1" + "0" * 22 + ".00 USD"),
    ],
)
def test_str(money: Money, text: str) -> None:
    assert str(money) == text


# --- Money arithmetic ---------------------------------------------------------


def test_arithmetic_basics() -> None:
    a, b = Money(1050, "RON"), Money(250, "RON")
    assert a + b == Money(1300, "RON")
    assert a - b == Money(800, "RON")
    assert b - a == Money(-800, "RON")
    assert -a == Money(-1050, "RON")
    assert a * 3 == Money(3150, "RON")
    assert 3 * a == Money(3150, "RON")
    assert a * -2 == Money(-2100, "RON")
    assert a * 0 == Money.zero("RON")
    assert Money.zero("JPY") == Money(0, "JPY")
    assert Money.zero("RON").is_zero()
    assert not a.is_zero()
    assert b < a
    assert b <= a
    assert a <= Money(1050, "RON")
    assert a > b
    assert a >= b
    assert a >= Money(1050, "RON")


@given(minors, minors, currencies)
def test_arithmetic_follows_integer_arithmetic(x: int, y: int, currency: str) -> None:
    a, b = Money(x, currency), Money(y, currency)
    assert (a + b).minor == x + y
    assert (a - b).minor == x - y
    assert a + b == b + a
    assert (a - b) + b == a
    assert -a + a == Money.zero(currency)
    assert (-a).minor == -x
    assert (a < b) == (x < y)
    assert (a <= b) == (x <= y)
    assert (a > b) == (x > y)
    assert (a >= b) == (x >= y)
    assert (a == b) == (x == y)


@given(minors, minors, st.tuples(currencies, currencies).filter(lambda cs: cs[0] != cs[1]))
def test_mixing_currencies_raises(x: int, y: int, pair: tuple[str, str]) -> None:
    a, b = Money(x, pair[0]), Money(y, pair[1])
    with pytest.raises(CurrencyMismatchError):
        a + b
    with pytest.raises(CurrencyMismatchError):
        a - b
    with pytest.raises(CurrencyMismatchError):
        a < b  # noqa: B015
    with pytest.raises(CurrencyMismatchError):
        a <= b  # noqa: B015
    with pytest.raises(CurrencyMismatchError):
        a > b  # noqa: B015
    with pytest.raises(CurrencyMismatchError):
        a >= b  # noqa: B015
    # Plain dataclass equality: different currencies are simply unequal.
    assert a != b


def test_mixing_ron_and_eur_with_equal_minor_units() -> None:
    ron, eur = Money(100, "RON"), Money(100, "EUR")
    assert ron != eur
    with pytest.raises(CurrencyMismatchError, match="RON"):
        ron + eur


@pytest.mark.parametrize("factor", [1.5, Decimal(2), True, "2", Fraction(2)])
def test_multiplication_only_by_int(factor: Any) -> None:
    with pytest.raises(TypeError):
        Money(100, "RON") * factor
    with pytest.raises(TypeError):
        factor * Money(100, "RON")


@pytest.mark.parametrize("other", [0, 1, Decimal(1), "1 RON", None])
def test_no_arithmetic_or_ordering_with_non_money(other: Any) -> None:
    money = Money(100, "RON")
    with pytest.raises(TypeError):
        money + other
    with pytest.raises(TypeError):
        money - other
    with pytest.raises(TypeError):
        money < other  # noqa: B015
    assert money != other


# --- sum_money ----------------------------------------------------------------


@given(st.lists(minors, max_size=20), currencies)
def test_sum_money(values: list[int], currency: str) -> None:
    total = sum_money((Money(v, currency) for v in values), currency)
    assert total == Money(sum(values), currency)


def test_sum_money_empty_is_zero_in_currency() -> None:
    assert sum_money([], "BHD") == Money.zero("BHD")


def test_sum_money_rejects_other_currencies() -> None:
    with pytest.raises(CurrencyMismatchError):
        sum_money([Money(1, "EUR")], "RON")
    with pytest.raises(CurrencyMismatchError):
        sum_money([Money(1, "RON"), Money(1, "EUR")], "RON")
    with pytest.raises(CurrencyError):
        sum_money([], "ron")


def test_sum_money_of_many_fractional_amounts_has_no_drift() -> None:
    # 0.01 added a thousand times: integers cannot drift the way floats do.
    assert sum_money([Money.from_major("0.01", "RON")] * 1000, "RON") == Money(1000, "RON")


def test_large_amounts_are_exact() -> None:
    big = Money.from_major("12345678901234567890123456789.125", "BHD")
    assert big.minor == 12345678901234567890123456789125
