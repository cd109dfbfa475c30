"""Tests for recura.core.interval_change: the new cycle and the invoice of a switch made now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.interval_change import (
    changes_interval,
    discount_periods_after,
    longer,
    restart,
    restarted_state,
    switch_lines,
)
from recura.core.invoice_lines import Item, item_amount
from recura.core.invoicing import InvoiceInput, build_invoice
from recura.core.lifecycle import Status, SubscriptionState
from recura.core.money import round_fraction
from recura.core.periods import BillingAlignment, Interval, IntervalUnit, Period, Schedule
from recura.core.pricing import PriceSpec

MONTH, YEAR = Interval(IntervalUnit.MONTH), Interval(IntervalUnit.YEAR)
ANNIVERSARY, CALENDAR = BillingAlignment.ANNIVERSARY, BillingAlignment.CALENDAR
ZONE = "Europe/Bucharest"
ANCHOR = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def flat(amount: int, currency: str = "RON") -> PriceSpec:
    return PriceSpec(model="flat", currency=currency, amount=amount)


def per_seat(unit: int, currency: str = "RON") -> PriceSpec:
    return PriceSpec(model="per_unit", currency=currency, unit_amount=Decimal(unit))


def plan(spec: PriceSpec, quantity: int = 1) -> Item:
    return Item(key="plan", description="Pro", spec=spec, quantity=Decimal(quantity))


def test_longer_and_changed_intervals() -> None:
    assert longer(MONTH, YEAR)
    assert not longer(YEAR, MONTH)
    assert longer(Interval(IntervalUnit.WEEK), MONTH)
    assert changes_interval(MONTH, YEAR)
    assert not changes_interval(YEAR, Interval("year", 1))
    assert changes_interval(Interval(IntervalUnit.MONTH, 12), YEAR)


def test_anniversary_restart_anchors_the_year_at_the_switch() -> None:
    at = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
    cycle = restart(at, YEAR, ZONE, ANNIVERSARY)
    assert cycle.schedule.anchor == at
    assert cycle.first == Period(at, datetime(2027, 3, 15, 12, 30, tzinfo=UTC))
    assert cycle.full == cycle.first


def test_calendar_restart_starts_a_partial_period_on_the_grid() -> None:
    at = datetime(2026, 3, 15, tzinfo=UTC)
    cycle = restart(at, YEAR, "UTC", CALENDAR)
    new_year = datetime(2027, 1, 1, tzinfo=UTC)
    assert cycle.schedule.anchor == datetime(2026, 1, 1, tzinfo=UTC)
    assert cycle.first == Period(at, new_year)
    assert cycle.full == Period(datetime(2026, 1, 1, tzinfo=UTC), new_year)
    lines = switch_lines((), (plan(flat(120_000)),), Period(at, at + timedelta(1)), at, cycle, 0)
    # 292 of 365 days of the year, rounded once.
    assert [line.amount for line in lines] == [round_fraction(Fraction(120_000 * 292, 365))]
    assert lines[0].proration


def test_monthly_to_yearly_mid_month_to_the_cent() -> None:
    current = Period(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
    at = datetime(2026, 4, 16, tzinfo=UTC)  # half of April's 30 days left
    cycle = restart(at, YEAR, "UTC", ANNIVERSARY)
    lines = switch_lines(
        (plan(flat(3000)),), (plan(flat(30000)),), current, at, cycle, Decimal("21")
    )
    assert [(line.description, line.amount) for line in lines] == [
        ("Unused time on Pro", -1500),
        ("Pro", 30000),
    ]
    assert (lines[1].period_start, lines[1].period_end) == (at, datetime(2027, 4, 16, tzinfo=UTC))
    assert not lines[1].proration
    draft = build_invoice(InvoiceInput("RON", tuple(lines)))
    assert (draft.subtotal, draft.tax_total, draft.total) == (28500, 5985, 34485)


def test_switch_at_the_period_end_credits_nothing() -> None:
    current = Period(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
    cycle = restart(current.end, MONTH, "UTC", ANNIVERSARY)
    lines = switch_lines((plan(flat(9000)),), (plan(flat(1000)),), current, current.end, cycle, 0)
    assert [line.amount for line in lines] == [1000]


def test_switch_refuses_an_instant_outside_the_period_or_a_cycle_elsewhere() -> None:
    current = Period(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
    late = datetime(2026, 5, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="outside"):
        switch_lines((), (), current, late, restart(late, YEAR, "UTC", ANNIVERSARY), 0)
    at = datetime(2026, 4, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="must start"):
        switch_lines((), (), current, at, restart(late, YEAR, "UTC", ANNIVERSARY), 0)


def test_restarted_state_moves_the_current_period() -> None:
    state = SubscriptionState(
        Status.ACTIVE, datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    )
    at = datetime(2026, 4, 20, tzinfo=UTC)
    new = restarted_state(state, restart(at, YEAR, "UTC", ANNIVERSARY))
    assert (new.current_period_start, new.current_period_end) == (
        at,
        datetime(2027, 4, 20, tzinfo=UTC),
    )
    assert new.status is Status.ACTIVE


# --- properties ---------------------------------------------------------------------

currencies = st.sampled_from(["RON", "EUR", "JPY", "BHD"])
rates = st.sampled_from([Decimal(0), Decimal(5), Decimal(9), Decimal(19), Decimal(21)])


@st.composite
def switches(draw: st.DrawFn) -> tuple[Period, datetime, Item, Item, str]:
    """A monthly period of a schedule anchored anywhere in 2026 (month ends, DST days), an
    instant in it, and a monthly plan and its yearly twin, maybe per seat."""
    anchor = ANCHOR + timedelta(seconds=draw(st.integers(0, 365 * 86_400)))
    n = draw(st.integers(0, 24))
    current = Schedule(anchor, MONTH, ZONE).period(n)
    offset = draw(st.integers(0, current.seconds))
    at = current.start + timedelta(seconds=offset)
    currency = draw(currencies)
    seats = draw(st.integers(1, 50))
    monthly = draw(st.integers(0, 10**7))
    yearly = draw(st.integers(0, 12 * 10**7))
    if draw(st.booleans()):
        return (
            current,
            at,
            plan(per_seat(monthly, currency), seats),
            plan(per_seat(yearly, currency), seats),
            currency,
        )
    return current, at, plan(flat(monthly, currency)), plan(flat(yearly, currency)), currency


@given(switches(), rates, st.sampled_from([ANNIVERSARY, CALENDAR]))
def test_credit_never_exceeds_what_was_paid(
    case: tuple[Period, datetime, Item, Item, str], rate: Decimal, alignment: BillingAlignment
) -> None:
    current, at, old, new, _ = case
    lines = switch_lines((old,), (new,), current, at, restart(at, YEAR, ZONE, alignment), rate)
    credit = -sum(line.amount for line in lines if line.amount < 0)
    assert 0 <= credit <= item_amount(old)
    assert all(line.amount <= 0 for line in lines if line.description.startswith("Unused"))


@given(switches(), rates, st.booleans())
def test_invoice_is_the_year_minus_the_credit_exactly(
    case: tuple[Period, datetime, Item, Item, str], rate: Decimal, inclusive: bool
) -> None:
    current, at, old, new, currency = case
    cycle = restart(at, YEAR, ZONE, ANNIVERSARY)
    lines = switch_lines((old,), (new,), current, at, cycle, rate)
    # The credit is the unused share of the month, rounded once; the year is charged whole.
    remaining = Fraction((current.end - at) // timedelta(seconds=1), current.seconds)
    credit = round_fraction(item_amount(old) * remaining)
    year = item_amount(new)
    assert cycle.first.start == at
    assert cycle.first.end > current.end
    draft = build_invoice(InvoiceInput(currency, tuple(lines), tax_inclusive=inclusive))
    assert draft.subtotal == year - credit
    # VAT is rounded once per rate on the invoice, not per line.
    r = Fraction(rate)
    base = year - credit
    tax = round_fraction(base * r / (100 + r) if inclusive else base * r / 100)
    assert draft.tax_total == tax
    assert draft.total == base + (0 if inclusive else tax)


@given(switches(), rates)
def test_yearly_to_monthly_now_credits_the_unused_year(
    case: tuple[Period, datetime, Item, Item, str], rate: Decimal
) -> None:
    _, at, monthly, yearly, currency = case
    paid = Schedule(ANCHOR, YEAR, ZONE).period_at(at)[1]
    cycle = restart(at, MONTH, ZONE, ANNIVERSARY)
    lines = switch_lines((yearly,), (monthly,), paid, at, cycle, rate)
    credit = -sum(line.amount for line in lines if line.amount < 0)
    assert credit <= item_amount(yearly)
    assert sum(line.amount for line in lines) == item_amount(monthly) - credit
    # The first monthly period starts at the switch and is a whole month.
    assert cycle.first.start == at
    assert cycle.first == Schedule(at, MONTH, ZONE).period(0)
    build_invoice(InvoiceInput(currency, tuple(lines)))


@given(
    st.integers(0, 4 * 365 * 86_400),
    st.integers(0, 5),
    st.sampled_from([ANNIVERSARY, CALENDAR]),
    st.sampled_from(["Europe/Bucharest", "America/New_York", "UTC"]),
)
def test_monthly_periods_start_exactly_where_the_paid_year_ends(
    offset: int, n: int, alignment: BillingAlignment, zone: str
) -> None:
    """A change to monthly scheduled for the year's end leaves no gap and no overlap."""
    year = Schedule(ANCHOR + timedelta(seconds=offset), YEAR, zone).period(n)
    cycle = restart(year.end, MONTH, zone, alignment)
    assert cycle.first.start == year.end
    assert cycle.first.end > year.end
    assert cycle.schedule.period_at(cycle.first.end)[1].start == cycle.first.end


def test_discount_periods_keep_the_time_left_in_whole_new_periods() -> None:
    assert discount_periods_after(1, YEAR, MONTH) == 12
    assert discount_periods_after(2, MONTH, YEAR) == 0
    assert discount_periods_after(11, MONTH, YEAR) == 0
    assert discount_periods_after(13, MONTH, YEAR) == 1
    assert discount_periods_after(3, MONTH, MONTH) == 3
