"""Money ⇄ PayPal `value` strings: exact both ways, or refused before any request."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.money import Money, exponent
from recura.gateways.base import AmountMismatch, GatewayError
from recura.gateways.paypal_amounts import PAYPAL_DECIMALS, from_paypal_value, to_paypal_value


@pytest.mark.parametrize(
    ("amount", "value"),
    [
        (Money(1999, "USD"), "19.99"),
        (Money(5, "EUR"), "0.05"),
        (Money(1500, "JPY"), "1500"),
        # ISO 4217 gives HUF and TWD two decimals; PayPal takes none.
        (Money(12300, "HUF"), "123"),
        (Money(100, "TWD"), "1"),
    ],
)
def test_converts_to_paypal_precision(amount: Money, value: str) -> None:
    assert to_paypal_value(amount) == value
    assert from_paypal_value(value, amount.currency) == amount


@pytest.mark.parametrize("amount", [Money(12345, "HUF"), Money(150, "TWD"), Money(1, "HUF")])
def test_refuses_fractions_paypal_cannot_take(amount: Money) -> None:
    with pytest.raises(AmountMismatch):
        to_paypal_value(amount)


def test_refuses_a_currency_paypal_does_not_support() -> None:
    with pytest.raises(GatewayError) as info:
        to_paypal_value(Money(4900, "RON"))
    assert not isinstance(info.value, AmountMismatch)


@pytest.mark.parametrize("minor", [0, -100])
def test_refuses_amounts_that_are_not_positive(minor: int) -> None:
    with pytest.raises(GatewayError):
        to_paypal_value(Money(minor, "USD"))


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [("19.9", "USD", 1990), ("20", "USD", 2000), ("123", "HUF", 12300), ("7", "JPY", 7)],
)
def test_reads_paypal_values(value: str, currency: str, minor: int) -> None:
    assert from_paypal_value(value, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("value", "currency"),
    [("19.999", "USD"), ("1.5", "JPY"), ("abc", "USD"), ("1e3", "USD"), ("", "USD"), ("1", "XYZ")],
)
def test_refuses_values_it_cannot_read_exactly(value: str, currency: str) -> None:
    with pytest.raises(AmountMismatch):
        from_paypal_value(value, currency)


@given(
    currency=st.sampled_from(sorted(PAYPAL_DECIMALS)),
    minor=st.integers(min_value=1, max_value=10**15),
)
def test_round_trip_is_exact_or_refused(currency: str, minor: int) -> None:
    amount = Money(minor, currency)
    dropped = exponent(currency) - PAYPAL_DECIMALS[currency]
    if minor % 10**dropped:
        with pytest.raises(AmountMismatch):
            to_paypal_value(amount)
        return
    value = to_paypal_value(amount)
    assert from_paypal_value(value, currency) == amount
    # Exactly PayPal's number of decimals, never an exponent or a stray point.
    whole, _, fraction = value.partition(".")
    assert whole.isdigit()
    assert len(fraction) == PAYPAL_DECIMALS[currency]
