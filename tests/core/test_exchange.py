"""Exchange rates: the rate of a day is the latest on or before it; one rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.exchange import NoRateError, Rate, convert, convert_on, rate_on
from recura.core.money import CurrencyMismatchError, Money

FRI, SAT, MON = date(2026, 1, 9), date(2026, 1, 10), date(2026, 1, 12)
EUR_FRI = Rate(FRI, "EUR", "RON", Decimal("4.9771"))
EUR_MON = Rate(MON, "EUR", "RON", Decimal("4.9800"))
USD_FRI = Rate(FRI, "USD", "RON", Decimal("4.2750"))
HUF_FRI = Rate(FRI, "HUF", "RON", Decimal("0.013170"))  # published as 100 HUF = 1.3170
RATES = [EUR_MON, EUR_FRI, USD_FRI, HUF_FRI]


def test_converts_to_the_quote_and_back_rounding_once() -> None:
    assert convert(Money(10000, "EUR"), EUR_FRI) == Money(49771, "RON")
    assert convert(Money(49771, "RON"), EUR_FRI) == Money(10000, "EUR")
    # 1.00 RON / 4.9771 = 0.20092... EUR
    assert convert(Money(100, "RON"), EUR_FRI) == Money(20, "EUR")
    # 0.05 EUR * 4.9771 = 0.248855 RON: half away from zero gives 0.25, and a refund mirrors it
    assert convert(Money(5, "EUR"), EUR_FRI) == Money(25, "RON")
    assert convert(Money(-5, "EUR"), EUR_FRI) == Money(-25, "RON")


def test_minor_units_of_each_currency() -> None:
    jpy = Rate(FRI, "EUR", "JPY", Decimal("161.25"))
    assert convert(Money(1000, "EUR"), jpy) == Money(1613, "JPY")  # 10 EUR = 1612.5 JPY
    bhd = Rate(FRI, "BHD", "RON", Decimal("11.3401"))
    assert convert(Money(1500, "BHD"), bhd) == Money(1701, "RON")  # 1.500 BHD = 17.01015 RON


def test_a_rate_converts_only_its_currencies() -> None:
    with pytest.raises(CurrencyMismatchError):
        convert(Money(100, "USD"), EUR_FRI)


def test_the_rate_of_a_weekend_is_fridays() -> None:
    assert rate_on(RATES, SAT, "EUR", "RON") == EUR_FRI
    assert rate_on(RATES, MON, "EUR", "RON") == EUR_MON
    assert rate_on(RATES, MON, "RON", "EUR") == EUR_MON
    assert rate_on(RATES, date(2026, 1, 8), "EUR", "RON") is None


def test_convert_on_goes_through_a_common_currency() -> None:
    # 100 USD = 427.50 RON = 427.50 / 4.9771 EUR = 85.8934... EUR, rounded only at the end
    assert convert_on(Money(10000, "USD"), "EUR", SAT, RATES) == Money(8589, "EUR")
    assert convert_on(Money(10000, "USD"), "USD", SAT, RATES) == Money(10000, "USD")
    assert convert_on(Money(1000000, "HUF"), "RON", SAT, RATES) == Money(13170, "RON")
    with pytest.raises(NoRateError):
        convert_on(Money(10000, "GBP"), "RON", SAT, RATES)


def test_rates_refuse_nonsense() -> None:
    for base, quote, rate in [("EUR", "EUR", "1"), ("EUR", "RON", "0"), ("EUR", "ZZZ", "1")]:
        with pytest.raises(ValueError, match=r"rate|currenc"):
            Rate(FRI, base, quote, Decimal(rate))


@given(st.integers(-(10**9), 10**9))
def test_converting_never_mixes_and_is_sign_symmetric(minor: int) -> None:
    there = convert(Money(minor, "EUR"), EUR_FRI)
    assert there.currency == "RON"
    assert convert(Money(-minor, "EUR"), EUR_FRI) == -there
    # Back again within one minor unit: each leg rounds once.
    assert abs(convert(there, EUR_FRI).minor - minor) <= 1
