"""Tests for recura.core.proration."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.money import CurrencyError, round_fraction
from recura.core.proration import (
    CREDIT,
    DEBIT,
    ProrationLine,
    change,
    charge_remaining,
    credit_unused,
    remaining_fraction,
)

D = Decimal
START = datetime(2026, 4, 1, tzinfo=UTC)
END = datetime(2026, 5, 1, tzinfo=UTC)  # 30 days
DAY = timedelta(days=1)
BUCHAREST = ZoneInfo("Europe/Bucharest")


def half_up(value: Fraction) -> int:
    """Reference rounding, independent of the decimal module."""
    magnitude = abs(value)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


# --- strategies ---------------------------------------------------------------

full_amounts = st.integers(min_value=0, max_value=10**9)
currencies = st.sampled_from(["RON", "EUR", "JPY", "BHD"])


@st.composite
def periods(draw: st.DrawFn) -> tuple[datetime, datetime]:
    # Any length from one second to about a year, with sub-second noise.
    offset = draw(st.integers(min_value=0, max_value=10**9))
    length = draw(st.integers(min_value=1, max_value=366 * 86_400))
    start = START + timedelta(seconds=offset, microseconds=draw(st.integers(0, 999_999)))
    end = start.replace(microsecond=0) + timedelta(seconds=length)
    return start, end


@st.composite
def instants_in(draw: st.DrawFn, start: datetime, end: datetime) -> datetime:
    span = (end - start) // timedelta(microseconds=1)
    return start + timedelta(microseconds=draw(st.integers(min_value=0, max_value=span)))


def seconds(value: datetime) -> int:
    """Whole seconds since the epoch, computed independently of the module under test."""
    return calendar.timegm(value.utctimetuple())


# --- remaining_fraction -----------------------------------------------------------


def test_fraction_worked_example() -> None:
    assert remaining_fraction(START, END, START + 10 * DAY) == Fraction(2, 3)
    assert remaining_fraction(START, END, START) == 1
    assert remaining_fraction(START, END, END) == 0
    assert remaining_fraction(START, END, END - timedelta(seconds=1)) == Fraction(1, 30 * 86_400)


def test_fraction_truncates_microseconds() -> None:
    at = START + 10 * DAY
    noisy = remaining_fraction(
        START + timedelta(microseconds=999_999),
        END + timedelta(microseconds=1),
        at + timedelta(microseconds=500_000),
    )
    assert noisy == Fraction(2, 3)


def test_fraction_counts_real_seconds_across_dst() -> None:
    # March 2026 in Bucharest loses an hour on the 29th (03:00 -> 04:00).
    start = datetime(2026, 3, 1, tzinfo=BUCHAREST)
    end = datetime(2026, 4, 1, tzinfo=BUCHAREST)
    at = datetime(2026, 3, 29, 12, tzinfo=BUCHAREST)
    assert (end - start) == 31 * DAY  # wall-clock arithmetic, which must not be used
    # 60 hours left out of 743, not 744.
    assert remaining_fraction(start, end, at) == Fraction(60 * 3600, 31 * 86_400 - 3600)
    # The same instants written in UTC give the same fraction.
    assert remaining_fraction(
        start.astimezone(UTC), end.astimezone(UTC), at.astimezone(UTC)
    ) == Fraction(60 * 3600, 31 * 86_400 - 3600)


def test_fraction_mixed_zones() -> None:
    at = (START + 10 * DAY).astimezone(BUCHAREST)
    assert remaining_fraction(START, END.astimezone(BUCHAREST), at) == Fraction(2, 3)


@pytest.mark.parametrize(
    ("start", "end", "at"),
    [
        (START.replace(tzinfo=None), END, START),
        (START, END.replace(tzinfo=None), START),
        (START, END, START.replace(tzinfo=None)),
    ],
)
def test_naive_datetimes_are_rejected(start: datetime, end: datetime, at: datetime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        remaining_fraction(start, end, at)
    with pytest.raises(ValueError, match="timezone-aware"):
        credit_unused(4900, "RON", start, end, at, "Pro")


@pytest.mark.parametrize(
    "at", [START - timedelta(microseconds=1), END + timedelta(seconds=1), START - DAY]
)
def test_at_outside_period_is_rejected(at: datetime) -> None:
    with pytest.raises(ValueError, match="outside the period"):
        remaining_fraction(START, END, at)
    with pytest.raises(ValueError, match="outside the period"):
        change(4900, 9900, "RON", START, END, at, "Basic", "Pro")


@pytest.mark.parametrize("end", [START, START - DAY, START + timedelta(microseconds=999_999)])
def test_empty_or_backwards_period_is_rejected(end: datetime) -> None:
    with pytest.raises(ValueError, match="at least one second"):
        remaining_fraction(START, end, START)


def test_non_datetime_is_rejected() -> None:
    with pytest.raises(TypeError, match="datetime"):
        remaining_fraction(START, END, START.date())  # type: ignore[arg-type]


@given(periods(), st.data())
def test_fraction_is_exact_and_bounded(
    period: tuple[datetime, datetime], data: st.DataObject
) -> None:
    start, end = period
    at = data.draw(instants_in(start, end))
    fraction = remaining_fraction(start, end, at)
    assert 0 <= fraction <= 1
    assert fraction == Fraction(seconds(end) - seconds(at), seconds(end) - seconds(start))


# --- round_fraction -----------------------------------------------------------------


def test_round_fraction_half_away_from_zero() -> None:
    assert round_fraction(Fraction(1, 2)) == 1
    assert round_fraction(Fraction(-1, 2)) == -1
    assert round_fraction(Fraction(5, 2)) == 3
    assert round_fraction(Fraction(-5, 2)) == -3
    assert round_fraction(Fraction(1, 3)) == 0
    assert round_fraction(Fraction(2, 3)) == 1
    assert round_fraction(7) == 7
    with pytest.raises(TypeError):
        round_fraction(0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_fraction(True)


@given(st.integers(min_value=-(10**18), max_value=10**18), st.integers(1, 10**12))
def test_round_fraction_matches_reference(num: int, den: int) -> None:
    assert round_fraction(Fraction(num, den)) == half_up(Fraction(num, den))


@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(1, 10**9))
def test_round_fraction_near_half(k: int, den: int) -> None:
    # Values just below, at and just above a halfway point.
    for delta in (-1, 0, 1):
        value = Fraction(2 * k + 1, 2) + Fraction(delta, 2 * den)
        assert round_fraction(value) == half_up(value)


# --- lines ------------------------------------------------------------------------


def test_credit_and_debit_worked_example() -> None:
    at = START + 10 * DAY
    credit = credit_unused(4900, "RON", START, END, at, "Basic, Apr 11 - May 1")
    assert credit == ProrationLine(
        kind=CREDIT,
        description="Basic, Apr 11 - May 1",
        amount=-3267,  # 4900 x 2/3 = 3266.67
        currency="RON",
        quantity=D(1),
        start=at,
        end=END,
        full_amount=4900,
    )
    debit = charge_remaining(9900, "RON", START, END, at, "Pro, Apr 11 - May 1")
    assert (debit.kind, debit.amount, debit.full_amount) == (DEBIT, 6600, 9900)
    assert (debit.start, debit.end) == (at, END)


def test_change_upgrade_seats_addons() -> None:
    at = START + 10 * DAY
    upgrade = change(4900, 9900, "RON", START, END, at, "Basic", "Pro")
    assert [(line.kind, line.amount) for line in upgrade] == [(CREDIT, -3267), (DEBIT, 6600)]
    assert sum(line.amount for line in upgrade) == 3333

    # 3 -> 5 seats at 10.00 RON each: full amounts come from pricing already.
    seats = change(3000, 5000, "RON", START, END, at, "3 seats", "5 seats", 3, D(5))
    assert [(line.amount, line.quantity) for line in seats] == [(-2000, D(3)), (3333, D(5))]

    added = change(0, 1500, "RON", START, END, at, "", "Add-on: backups")
    assert [(line.kind, line.amount) for line in added] == [(DEBIT, 1000)]
    removed = change(1500, 0, "RON", START, END, at, "Add-on: backups", "")
    assert [(line.kind, line.amount) for line in removed] == [(CREDIT, -1000)]

    assert change(4900, 9900, "RON", START, END, END, "Basic", "Pro") == []
    both = change(4900, 4900, "RON", START, END, START, "Basic", "Basic yearly-equivalent")
    assert [line.amount for line in both] == [-4900, 4900]


@pytest.mark.parametrize(
    ("currency", "full", "credit", "debit"),
    [
        ("JPY", 4900, -3267, 6600),  # yen have no minor unit: 3266.67 yen -> 3267
        ("BHD", 4900, -3267, 6600),  # 4.900 BHD in fils
        ("BHD", 1, -1, 1),  # 0.001 BHD x 2/3 rounds up to one fils
    ],
)
def test_zero_and_three_decimal_currencies(
    currency: str, full: int, credit: int, debit: int
) -> None:
    at = START + 10 * DAY
    new_full = 9900 if full == 4900 else full
    lines = change(full, new_full, currency, START, END, at, "old", "new")
    assert [line.amount for line in lines] == [credit, debit]
    assert {line.currency for line in lines} == {currency}


def test_half_minor_unit_rounds_away_from_zero() -> None:
    middle = START + 15 * DAY
    assert charge_remaining(1, "RON", START, END, middle, "x").amount == 1
    assert credit_unused(1, "RON", START, END, middle, "x").amount == -1
    assert charge_remaining(3, "RON", START, END, middle, "x").amount == 2
    assert credit_unused(3, "RON", START, END, middle, "x").amount == -2


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"full_amount": -1}, ValueError),
        ({"full_amount": D(100)}, TypeError),
        ({"full_amount": True}, TypeError),
        ({"currency": "XYZ"}, CurrencyError),
        ({"currency": "ron"}, CurrencyError),
        ({"quantity": D(-1)}, ValueError),
        ({"quantity": 1.5}, TypeError),
        ({"quantity": D("NaN")}, TypeError),
        ({"description": None}, TypeError),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    args: dict[str, object] = {
        "full_amount": 4900,
        "currency": "RON",
        "start": START,
        "end": END,
        "at": START + DAY,
        "description": "Pro",
    } | kwargs
    with pytest.raises(error):
        credit_unused(**args)  # type: ignore[arg-type]
    with pytest.raises(error):
        charge_remaining(**args)  # type: ignore[arg-type]


def test_change_validates_both_sides_even_if_zero() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        change(0, -5, "RON", START, END, START, "a", "b")
    with pytest.raises(CurrencyError):
        change(0, 0, "XXX", START, END, END, "a", "b")


# --- properties -------------------------------------------------------------------


@given(full_amounts, currencies, periods(), st.data())
def test_credit_and_debit_are_symmetric(
    full: int, currency: str, period: tuple[datetime, datetime], data: st.DataObject
) -> None:
    start, end = period
    at = data.draw(instants_in(start, end))
    credit = credit_unused(full, currency, start, end, at, "old")
    debit = charge_remaining(full, currency, start, end, at, "new")
    assert credit.amount + debit.amount == 0
    assert credit.amount <= 0 <= debit.amount
    lines = change(full, full, currency, start, end, at, "old", "new")
    assert sum(line.amount for line in lines) == 0


@given(full_amounts, periods(), st.data())
def test_rounding_error_at_most_half_a_minor_unit(
    full: int, period: tuple[datetime, datetime], data: st.DataObject
) -> None:
    start, end = period
    at = data.draw(instants_in(start, end))
    exact = full * Fraction(seconds(end) - seconds(at), seconds(end) - seconds(start))
    line = charge_remaining(full, "RON", start, end, at, "x")
    assert abs(line.amount - exact) <= Fraction(1, 2)
    assert line.amount == half_up(exact)
    assert credit_unused(full, "RON", start, end, at, "x").amount == half_up(-exact)


@given(full_amounts, periods(), st.data())
def test_monotonic_in_at_and_exact_at_the_ends(
    full: int, period: tuple[datetime, datetime], data: st.DataObject
) -> None:
    start, end = period
    a1, a2 = sorted([data.draw(instants_in(start, end)), data.draw(instants_in(start, end))])
    first = charge_remaining(full, "JPY", start, end, a1, "x").amount
    second = charge_remaining(full, "JPY", start, end, a2, "x").amount
    assert first >= second
    assert credit_unused(full, "JPY", start, end, a1, "x").amount <= -second
    assert charge_remaining(full, "JPY", start, end, start, "x").amount == full
    assert charge_remaining(full, "JPY", start, end, end, "x").amount == 0
    assert credit_unused(full, "BHD", start, end, start, "x").amount == -full


@given(full_amounts, full_amounts, periods(), st.data())
def test_splitting_the_period_does_not_drift(
    old: int, new: int, period: tuple[datetime, datetime], data: st.DataObject
) -> None:
    # Upgrade at a1, downgrade back at a2: the customer pays for [start, a1)
    # and [a2, end) at the old price and [a1, a2) at the new one.
    start, end = period
    a1, a2 = sorted([data.draw(instants_in(start, end)), data.draw(instants_in(start, end))])
    up = change(old, new, "BHD", start, end, a1, "old", "new")
    down = change(new, old, "BHD", start, end, a2, "new", "old")
    s, e, t1, t2 = seconds(start), seconds(end), seconds(a1), seconds(a2)
    length = e - s

    # The new price over [a1, a2): its debit at a1 plus its credit at a2.
    new_part = (
        charge_remaining(new, "BHD", start, end, a1, "new").amount
        + credit_unused(new, "BHD", start, end, a2, "new").amount
    )
    assert abs(new_part - Fraction(new * (t2 - t1), length)) <= 1

    paid = old + sum(line.amount for line in up + down)
    exact = Fraction(old * (t1 - s) + new * (t2 - t1) + old * (e - t2), length)
    # Four lines are computed (zero ones are only left out), each off by at most 1/2.
    assert abs(paid - exact) <= 2
