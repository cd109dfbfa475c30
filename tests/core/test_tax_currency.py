"""VAT stated in the seller's national currency: the amount to the cent."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from recura.core.exchange import Rate
from recura.core.money import Money
from recura.core.tax_currency import vat_in

DAY = date(2026, 12, 7)


def test_the_bnr_rate_of_the_day() -> None:
    rate = Rate(DAY, "EUR", "RON", Decimal("5.0912"))
    # 21 % of EUR 1,234.56 is EUR 259.26; in lei 1,319.94 (259.26 * 5.0912 = 1319.944...).
    assert vat_in(Money(25926, "EUR"), rate) == Money(131994, "RON")


@given(
    tax=st.integers(min_value=0, max_value=10**12),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("10000"), places=4),
)
def test_the_amount_is_the_tax_times_the_rate_rounded_once(tax: int, rate: Decimal) -> None:
    found = vat_in(Money(tax, "EUR"), Rate(DAY, "EUR", "RON", rate))
    expected = (Decimal(tax) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert found == Money(int(expected), "RON")
