"""Tests for recura.core.invoicing."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.invoicing import (
    AppliedDiscount,
    DiscountInput,
    InvoiceDraft,
    InvoiceError,
    InvoiceInput,
    LineInput,
    TaxLine,
    build_invoice,
)
from recura.core.money import CurrencyError, Money
from recura.core.pricing import PriceSpec, PricingModel, price
from recura.core.proration import change
from recura.core.tax import Category, Decision

D = Decimal
START = datetime(2026, 7, 1, tzinfo=UTC)
END = datetime(2026, 8, 1, tzinfo=UTC)


def half_up(value: Fraction) -> int:
    """Reference rounding, independent of the decimal module."""
    magnitude = abs(value)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


def invoice(*lines: LineInput, **kwargs: object) -> InvoiceDraft:
    return build_invoice(InvoiceInput("RON", tuple(lines), **kwargs))  # type: ignore[arg-type]


def check_invariants(inputs: InvoiceInput, draft: InvoiceDraft) -> None:
    assert draft.currency == inputs.currency
    assert len(draft.lines) == len(inputs.lines)
    for given_line, line in zip(inputs.lines, draft.lines, strict=True):
        assert line.amount == given_line.amount  # never re-rounded
        assert line.discounted_amount == line.amount - line.discount_amount
        if line.discountable and line.amount > 0:
            assert 0 <= line.discount_amount <= line.amount
        else:
            assert line.discount_amount == 0
    assert draft.subtotal == sum(line.amount for line in inputs.lines)
    assert draft.discount_total == sum(d.amount for d in draft.discounts)
    assert draft.discount_total == sum(line.discount_amount for line in draft.lines)
    discountable = sum(ln.amount for ln in inputs.lines if ln.discountable and ln.amount > 0)
    assert 0 <= draft.discount_total <= discountable
    assert draft.tax_total == sum(t.tax_amount for t in draft.tax_lines)
    rates = [t.rate for t in draft.tax_lines]
    assert rates == sorted(set(rates))
    assert set(rates) == {ln.tax_rate for ln in inputs.lines}
    for tax in draft.tax_lines:
        base = sum(ln.discounted_amount for ln in draft.lines if ln.tax_rate == tax.rate)
        r = Fraction(tax.rate)
        exact = base * r / (100 + r) if draft.tax_inclusive else base * r / 100
        assert abs(tax.tax_amount - exact) <= Fraction(1, 2)
        assert tax.taxable_amount + tax.tax_amount == tax.gross_amount
    if draft.tax_inclusive:
        assert draft.total == draft.subtotal - draft.discount_total
    else:
        assert draft.total == draft.subtotal - draft.discount_total + draft.tax_total
    assert draft.amount_due + draft.credit_applied == max(draft.total, 0)
    assert 0 <= draft.credit_applied <= inputs.credit_balance
    assert draft.amount_due >= 0
    assert draft.credit_generated == max(-draft.total, 0)


# --- worked examples --------------------------------------------------------------


def test_49_ron_plus_19_percent_vat() -> None:
    draft = invoice(LineInput("Pro, July 2026", 4900, tax_rate=D(19)))
    assert draft.subtotal == 4900
    assert draft.tax_lines == (TaxLine(D(19), 4900, 931, 5831),)
    assert draft.total == 5831
    assert str(Money(draft.total, "RON")) == "58.31 RON"
    assert draft.amount_due == 5831
    assert (draft.credit_applied, draft.credit_generated) == (0, 0)


def test_same_price_tax_inclusive() -> None:
    draft = invoice(LineInput("Pro", 5831, tax_rate=D(19)), tax_inclusive=True)
    assert draft.tax_lines == (TaxLine(D(19), 4900, 931, 5831),)
    assert (draft.tax_total, draft.total, draft.amount_due) == (931, 5831, 5831)
    assert draft.lines[0].discounted_amount == 5831  # gross; the net exists per rate only


def test_49_ron_including_21_percent_vat_breaks_down_to_40_50_and_8_50() -> None:
    draft = invoice(LineInput("Pro", 4900, tax_rate=D(21)), tax_inclusive=True)
    (tax,) = draft.tax_lines
    assert (tax.taxable_amount, tax.tax_amount, tax.gross_amount) == (4050, 850, 4900)
    assert (draft.tax_total, draft.total) == (850, 4900)


def test_tax_is_rounded_per_rate_on_the_invoice_not_per_line() -> None:
    # 19% of 10.50 is 1.995: per line that would be 2.00 x 3 = 6.00,
    # on the invoice it is 19% of 31.50 = 5.985 -> 5.99.
    lines = [LineInput(f"Seat {n}", 1050, tax_rate=D(19)) for n in (1, 2, 3)]
    draft = invoice(*lines)
    assert sum(half_up(Fraction(1050 * 19, 100)) for _ in lines) == 600
    assert draft.tax_lines == (TaxLine(D(19), 3150, 599, 3749),)
    assert draft.total == 3150 + 599


def test_20_percent_coupon_then_21_percent_vat() -> None:
    # Romanian standard VAT is 21% for supplies from 2025-08-01 (it was 19%).
    draft = invoice(
        LineInput("Pro, August 2026", 4900, tax_rate=D(21)),
        discounts=(DiscountInput("LAUNCH20", percent_off=D(20)),),
    )
    assert draft.discounts == (AppliedDiscount("LAUNCH20", D(20), None, 980),)
    assert draft.lines[0].discount_amount == 980
    assert draft.lines[0].discounted_amount == 3920
    assert draft.tax_lines == (TaxLine(D(21), 3920, 823, 4743),)  # 823.2
    assert draft.total == 4743


def test_pricing_and_proration_feed_an_invoice() -> None:
    seat = PriceSpec(PricingModel.PER_UNIT, "RON", unit_amount=D(1000))
    at = datetime(2026, 7, 11, tzinfo=UTC)
    old, new = price(seat, 3).total.minor, price(seat, 5).total.minor
    lines = [
        LineInput(p.description, p.amount, p.quantity, kind="proration", proration=True,
                  period_start=p.start, period_end=p.end, tax_rate=D(21))
        for p in change(old, new, "RON", START, END, at, "3 seats", "5 seats", 3, 5)
    ]  # fmt: skip
    draft = invoice(*lines, LineInput("5 seats, August", new, D(5), tax_rate=D(21)))
    # 3000 x 21/31 = 2032.26 credited, 5000 x 21/31 = 3387.10 charged.
    assert [line.amount for line in draft.lines] == [-2032, 3387, 5000]
    assert draft.tax_lines == (TaxLine(D(21), 6355, 1335, 7690),)  # 1334.55
    assert draft.total == 6355 + 1335


def test_mixed_rates_and_a_credit_line() -> None:
    draft = invoice(
        LineInput("Credit for unused Basic (19%)", -2000, tax_rate=D(19), proration=True),
        LineInput("Pro", 9900, tax_rate=D(21)),
        LineInput("Book", 5000, tax_rate=D(5)),
        discounts=(DiscountInput("10 off", amount_off=1000),),
    )
    assert draft.lines[0].discount_amount == 0  # credits are never discounted
    # 1000 split 9900:5000 -> 664.4 and 335.6.
    assert [line.discount_amount for line in draft.lines] == [0, 664, 336]
    assert draft.tax_lines == (
        TaxLine(D(5), 4664, 233, 4897),  # 233.2
        TaxLine(D(19), -2000, -380, -2380),  # the credit gives its tax back
        TaxLine(D(21), 9236, 1940, 11176),  # 1939.56
    )
    assert draft.total == 12900 - 1000 + (233 - 380 + 1940)


def test_discounts_apply_in_order_to_what_is_left() -> None:
    draft = invoice(
        LineInput("A", 6000, tax_rate=D(19)),
        LineInput("B", 4000, tax_rate=D(19)),
        LineInput("Setup", 5000, kind="setup_fee", discountable=False, tax_rate=D(19)),
        discounts=(
            DiscountInput("50 off", amount_off=5000),
            DiscountInput("10%", percent_off=D(10)),
            DiscountInput("100 off", amount_off=10000),
            DiscountInput("50%", percent_off=D(50)),
        ),
    )
    assert [d.amount for d in draft.discounts] == [5000, 500, 4500, 0]
    assert [line.discount_amount for line in draft.lines] == [6000, 4000, 0]
    assert draft.discount_total == 10000
    assert draft.total == 5000 + 950


def test_tied_discount_unit_goes_by_content_not_position() -> None:
    a = LineInput("A", 100, tax_rate=D(19))
    b = LineInput("B", 100, tax_rate=D(21))
    one_off = (DiscountInput("1 off", amount_off=1),)
    ab, ba = invoice(a, b, discounts=one_off), invoice(b, a, discounts=one_off)
    # The odd unit goes to the lower rate whichever line comes first.
    assert [line.discount_amount for line in ab.lines] == [1, 0]
    assert [line.discount_amount for line in ba.lines] == [0, 1]
    assert (
        ab.tax_lines == ba.tax_lines == (TaxLine(D(19), 99, 19, 118), TaxLine(D(21), 100, 21, 121))
    )


def test_credit_balance_and_negative_totals() -> None:
    paid = invoice(LineInput("Pro", 4900), credit_balance=1000)
    assert (paid.total, paid.credit_applied, paid.amount_due) == (4900, 1000, 3900)
    covered = invoice(LineInput("Pro", 4900), credit_balance=10_000)
    assert (covered.credit_applied, covered.amount_due, covered.credit_generated) == (4900, 0, 0)
    downgrade = invoice(
        LineInput("Unused Pro", -6600, tax_rate=D(19), proration=True),
        LineInput("Rest of Basic", 3267, tax_rate=D(19), proration=True),
        credit_balance=500,
    )
    assert downgrade.tax_lines == (TaxLine(D(19), -3333, -633, -3966),)  # -633.27
    assert downgrade.total == -3966
    assert (downgrade.credit_applied, downgrade.amount_due) == (0, 0)
    assert downgrade.credit_generated == 3966
    zero = invoice(LineInput("Free plan", 0))
    assert (zero.total, zero.amount_due, zero.credit_generated) == (0, 0, 0)


@pytest.mark.parametrize(("currency", "tax"), [("JPY", 931), ("BHD", 931), ("RON", 931)])
def test_currencies_with_0_and_3_decimals(currency: str, tax: int) -> None:
    draft = build_invoice(InvoiceInput(currency, (LineInput("Pro", 4900, tax_rate=D(19)),)))
    assert (draft.currency, draft.tax_total, draft.total) == (currency, tax, 5831)


def test_lines_keep_their_details() -> None:
    line = LineInput(
        "API calls", 1234, D("1234.5"), D("0.99960"), "usage", START, END, False, D("24.5"), False
    )
    (draft,) = invoice(line).lines
    assert (draft.description, draft.quantity, draft.unit_amount, draft.kind) == (
        "API calls", D("1234.5"), D("0.99960"), "usage",
    )  # fmt: skip
    assert (draft.period_start, draft.period_end, draft.tax_rate) == (START, END, D("24.5"))
    assert invoice(LineInput("x", 1, 2, tax_rate=19)).lines[0].tax_rate == D(19)  # type: ignore[arg-type]


def test_equal_rates_written_differently_share_a_tax_line() -> None:
    draft = invoice(LineInput("a", 50, tax_rate=D("19")), LineInput("b", 50, tax_rate=D("19.00")))
    assert len(draft.tax_lines) == 1
    assert draft.tax_lines[0].tax_amount == 19


# --- validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (LineInput("x", D(100)), "lines.0.amount"),  # type: ignore[arg-type]
        (LineInput("x", True), "lines.0.amount"),
        (LineInput("x", 100, tax_rate=D(-1)), "lines.0.tax_rate"),
        (LineInput("x", 100, tax_rate=19.0), "lines.0.tax_rate"),  # type: ignore[arg-type]
        (LineInput("x", 100, tax_rate=D("NaN")), "lines.0.tax_rate"),
        (LineInput("x", 100, quantity=D("Infinity")), "lines.0.quantity"),
        (LineInput("x", 100, unit_amount=1.5), "lines.0.unit_amount"),  # type: ignore[arg-type]
        (LineInput(None, 100), "lines.0.description"),  # type: ignore[arg-type]
        (LineInput("x", 100, kind=None), "lines.0.kind"),  # type: ignore[arg-type]
        (LineInput("x", 100, proration=1), "lines.0.proration"),  # type: ignore[arg-type]
        (LineInput("x", 100, discountable=None), "lines.0.discountable"),  # type: ignore[arg-type]
        (LineInput("x", 100, period_start=START), "lines.0.period_end"),
        (LineInput("x", 100, period_start=END, period_end=START), "lines.0.period_end"),
        (
            LineInput("x", 100, period_start=START.replace(tzinfo=None), period_end=END),
            "lines.0.period_start",
        ),
        (
            LineInput("x", 100, period_start=START, period_end=END.replace(tzinfo=None)),
            "lines.0.period_end",
        ),
    ],
)
def test_bad_lines(line: LineInput, field: str) -> None:
    with pytest.raises(InvoiceError) as info:
        invoice(LineInput("ok", 1), line)
    assert info.value.field == field.replace("lines.0", "lines.1")


def test_naive_period_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        invoice(LineInput("x", 1, period_start=START, period_end=END.replace(tzinfo=None)))


@pytest.mark.parametrize(
    ("discount", "field"),
    [
        (DiscountInput("none"), "discounts.0"),
        (DiscountInput("both", percent_off=D(10), amount_off=100), "discounts.0"),
        (DiscountInput("x", percent_off=D(101)), "discounts.0.percent_off"),
        (DiscountInput("x", percent_off=D(-1)), "discounts.0.percent_off"),
        (DiscountInput("x", percent_off=0.5), "discounts.0.percent_off"),  # type: ignore[arg-type]
        (DiscountInput("x", amount_off=-1), "discounts.0.amount_off"),
        (DiscountInput("x", amount_off=D(1)), "discounts.0.amount_off"),  # type: ignore[arg-type]
        (DiscountInput(None, amount_off=1), "discounts.0.description"),  # type: ignore[arg-type]
    ],
)
def test_bad_discounts(discount: DiscountInput, field: str) -> None:
    with pytest.raises(InvoiceError) as info:
        invoice(LineInput("x", 100), discounts=(discount,))
    assert info.value.field == field


def test_bad_invoice_inputs() -> None:
    with pytest.raises(CurrencyError):
        build_invoice(InvoiceInput("XYZ", (LineInput("x", 1),)))
    with pytest.raises(InvoiceError, match="at least one line") as info:
        build_invoice(InvoiceInput("RON", ()))
    assert info.value.field == "lines"
    with pytest.raises(InvoiceError) as info:
        build_invoice(InvoiceInput("RON", (LineInput("x", 1),), credit_balance=-1))
    assert info.value.field == "credit_balance"
    with pytest.raises(InvoiceError) as info:
        build_invoice(InvoiceInput("RON", ("x",)))  # type: ignore[arg-type]
    assert info.value.field == "lines.0"
    with pytest.raises(InvoiceError) as info:
        build_invoice(InvoiceInput("RON", (LineInput("x", 1),), tax_inclusive=None))  # type: ignore[arg-type]
    assert info.value.field == "tax_inclusive"
    with pytest.raises(TypeError):
        build_invoice("RON")  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------

RATES = [D(0), D(5), D(9), D(19), D(21), D("24.5")]


@st.composite
def invoice_inputs(draw: st.DrawFn) -> InvoiceInput:
    line = st.builds(
        LineInput,
        description=st.sampled_from(["a", "b"]),
        amount=st.integers(min_value=-(10**7), max_value=10**9),
        tax_rate=st.sampled_from(RATES),
        discountable=st.booleans(),
    )
    discount = st.one_of(
        st.builds(
            DiscountInput,
            description=st.just("pct"),
            percent_off=st.decimals(min_value=0, max_value=100, places=2),
        ),
        st.builds(
            DiscountInput,
            description=st.just("off"),
            amount_off=st.integers(min_value=0, max_value=10**9),
        ),
    )
    return InvoiceInput(
        currency=draw(st.sampled_from(["RON", "JPY", "BHD"])),
        lines=tuple(draw(st.lists(line, min_size=1, max_size=30))),
        discounts=tuple(draw(st.lists(discount, max_size=3))),
        tax_inclusive=draw(st.booleans()),
        credit_balance=draw(st.integers(min_value=0, max_value=10**9)),
    )


def totals(draft: InvoiceDraft) -> tuple[object, ...]:
    return (
        draft.subtotal,
        draft.discount_total,
        tuple((t.rate, t.taxable_amount, t.tax_amount, t.gross_amount) for t in draft.tax_lines),
        draft.tax_total,
        draft.total,
        draft.credit_applied,
        draft.amount_due,
        draft.credit_generated,
        tuple(d.amount for d in draft.discounts),
    )


def per_line(draft: InvoiceDraft) -> list[tuple[int, Decimal, bool, str, int]]:
    return sorted(
        (ln.amount, ln.tax_rate, ln.discountable, ln.description, ln.discount_amount)
        for ln in draft.lines
    )


@given(invoice_inputs())
def test_invoice_invariants(inputs: InvoiceInput) -> None:
    check_invariants(inputs, build_invoice(inputs))


@given(invoice_inputs())
def test_vat_breakdown_per_rate(inputs: InvoiceInput) -> None:
    draft = build_invoice(inputs)
    for tax in draft.tax_lines:
        # What the rate's lines charge once discounted: gross when prices include tax.
        charged = sum(ln.discounted_amount for ln in draft.lines if ln.tax_rate == tax.rate)
        if draft.tax_inclusive:
            assert tax.taxable_amount + tax.tax_amount == charged
        else:
            assert tax.taxable_amount == charged
    assert sum(t.gross_amount for t in draft.tax_lines) == draft.total


@given(invoice_inputs(), st.randoms(use_true_random=False))
def test_totals_do_not_depend_on_line_order(inputs: InvoiceInput, rnd: random.Random) -> None:
    draft = build_invoice(inputs)
    lines = list(inputs.lines)
    rnd.shuffle(lines)
    shuffled = build_invoice(replace(inputs, lines=tuple(lines)))
    assert totals(shuffled) == totals(draft)
    # A line's discount depends on its content, not its position.
    assert per_line(shuffled) == per_line(draft)


@given(invoice_inputs())
def test_percent_discounts_are_rounded_once_from_what_is_left(inputs: InvoiceInput) -> None:
    draft = build_invoice(inputs)
    left = sum(ln.amount for ln in inputs.lines if ln.discountable and ln.amount > 0)
    for given_discount, applied in zip(inputs.discounts, draft.discounts, strict=True):
        if given_discount.percent_off is not None:
            wanted = half_up(left * Fraction(given_discount.percent_off) / 100)
        else:
            assert given_discount.amount_off is not None
            wanted = given_discount.amount_off
        assert applied.amount == min(wanted, left)
        left -= applied.amount
    assert left >= 0


@given(st.integers(min_value=1, max_value=10**9), st.sampled_from(RATES), st.booleans())
def test_a_credit_note_mirrors_its_invoice(amount: int, rate: Decimal, inclusive: bool) -> None:
    charge = invoice(LineInput("Pro", amount, tax_rate=rate), tax_inclusive=inclusive)
    refund = invoice(LineInput("Pro", -amount, tax_rate=rate), tax_inclusive=inclusive)
    assert refund.tax_total == -charge.tax_total
    assert refund.total == -charge.total
    assert refund.credit_generated == charge.amount_due


def test_a_line_keeps_the_tax_decision_its_rate_came_from() -> None:
    decided = Decision(Category.REVERSE_CHARGE, Decimal(0), None, "VATEX-EU-AE", "tax.x")
    line = LineInput("Pro", 4900, tax_rate=Decimal(0), tax=decided)
    (drafted,) = build_invoice(InvoiceInput("RON", (line,))).lines
    assert drafted.tax == decided
    with pytest.raises(InvoiceError) as info:
        build_invoice(InvoiceInput("RON", (replace(line, tax_rate=Decimal(21)),)))
    assert info.value.field == "lines.0.tax"
