"""Money to Stripe units and back (no network)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.money import CURRENCIES, CurrencyError, Money, exponent
from recura.gateways.base import AmountMismatch
from recura.gateways.stripe_amounts import (
    THREE_DECIMAL,
    from_stripe,
    stripe_exponent,
    to_stripe,
)

amounts = st.integers(min_value=-(10**12), max_value=10**12)


@pytest.mark.parametrize(
    ("money", "stripe"),
    [
        (Money(4900, "RON"), (4900, "ron")),
        (Money(1, "EUR"), (1, "eur")),
        (Money(500, "JPY"), (500, "jpy")),
        (Money(1050, "HUF"), (1050, "huf")),
        (Money(1050, "TWD"), (1050, "twd")),
        (Money(1000, "UGX"), (1000, "ugx")),
        (Money(5, "ISK"), (500, "isk")),
        (Money(200, "MGA"), (2, "mga")),
        (Money(5120, "KWD"), (5120, "kwd")),
        (Money(1230, "IQD"), (123, "iqd")),
    ],
)
def test_to_stripe(money: Money, stripe: tuple[int, str]) -> None:
    assert to_stripe(money) == stripe
    assert from_stripe(*stripe) == money


@pytest.mark.parametrize(
    "money",
    [
        pytest.param(Money(150, "MGA"), id="MGA-fraction-of-a-whole-ariary"),
        pytest.param(Money(5124, "KWD"), id="KWD-last-digit-not-0"),
        pytest.param(Money(1234, "IQD"), id="IQD-three-decimals-at-ISO-two-at-Stripe"),
    ],
)
def test_what_stripe_cannot_express_is_a_mismatch(money: Money) -> None:
    with pytest.raises(AmountMismatch):
        to_stripe(money)


@pytest.mark.parametrize(("amount", "currency"), [(150, "isk"), (1, "ISK")])
def test_stripe_amounts_finer_than_iso_are_a_mismatch(amount: int, currency: str) -> None:
    with pytest.raises(AmountMismatch):
        from_stripe(amount, currency)


def test_a_currency_recura_does_not_know_is_refused() -> None:
    with pytest.raises(CurrencyError):
        from_stripe(100, "usdc")


@given(st.sampled_from(sorted(CURRENCIES)), amounts)
def test_round_trip_is_exact_or_refused(currency: str, minor: int) -> None:
    money = Money(minor, currency)
    try:
        amount, code = to_stripe(money)
    except AmountMismatch:
        # Refused only when Stripe's unit is coarser than ISO's, or Stripe wants a step.
        assert stripe_exponent(currency) < exponent(currency) or currency in THREE_DECIMAL
        return
    assert code == currency.lower()
    assert from_stripe(amount, code) == money


@given(st.sampled_from(["RON", "EUR", "USD", "JPY", "KRW", "HUF", "UGX"]), amounts)
def test_where_stripe_counts_like_iso_the_amount_is_unchanged(currency: str, minor: int) -> None:
    assert to_stripe(Money(minor, currency)) == (minor, currency.lower())


@given(amounts)
def test_mga_is_whole_ariary_at_stripe(minor: int) -> None:
    if minor % 100:
        with pytest.raises(AmountMismatch):
            to_stripe(Money(minor, "MGA"))
    else:
        assert to_stripe(Money(minor, "MGA")) == (minor // 100, "mga")


@given(amounts)
def test_isk_is_hundredths_at_stripe(minor: int) -> None:
    assert to_stripe(Money(minor, "ISK")) == (minor * 100, "isk")
    assert from_stripe(minor * 100, "ISK") == Money(minor, "ISK")
