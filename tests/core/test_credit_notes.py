from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.credit_notes import BilledRate, CreditedRate, split_credit

RATES = [Decimal(0), Decimal(5), Decimal(9), Decimal(19), Decimal(21)]


def test_a_whole_invoice_is_given_back_as_billed() -> None:
    billed = (BilledRate(Decimal(21), 4900, 1029), BilledRate(Decimal(9), 1000, 90))
    assert split_credit(7019, billed) == (
        CreditedRate(Decimal(21), 4900, 1029),
        CreditedRate(Decimal(9), 1000, 90),
    )


def test_half_of_a_single_rate_invoice() -> None:
    # 29.65 of 59.29 gross: 29.65 x 21/121 = 5.1458 -> 5.15 VAT.
    assert split_credit(2965, (BilledRate(Decimal(21), 4900, 1029),)) == (
        CreditedRate(Decimal(21), 2450, 515),
    )


@pytest.mark.parametrize("amount", [0, -1, 7020])
def test_credit_must_be_within_what_was_billed(amount: int) -> None:
    with pytest.raises(ValueError, match="credit"):
        split_credit(
            amount, (BilledRate(Decimal(21), 4900, 1029), BilledRate(Decimal(9), 1000, 90))
        )


billed_rates = st.lists(
    st.builds(
        lambda rate, net: BilledRate(rate, net, int(net * rate / 100)),
        st.sampled_from(RATES),
        st.integers(min_value=0, max_value=10**9),
    ),
    min_size=1,
    max_size=4,
).filter(lambda rates: sum(b.net + b.tax for b in rates) > 0)


@given(billed_rates, st.data())
def test_shares_add_up_exactly_and_never_exceed_a_rate(
    rates: list[BilledRate], data: st.DataObject
) -> None:
    total = sum(b.net + b.tax for b in rates)
    amount = data.draw(st.integers(min_value=1, max_value=total))
    credited = split_credit(amount, tuple(rates))
    assert sum(c.net + c.tax for c in credited) == amount
    for c, b in zip(credited, rates, strict=True):
        assert c.rate == b.rate
        assert 0 <= c.net + c.tax <= b.net + b.tax
