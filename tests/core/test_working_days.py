"""Romanian working days and the public holidays they skip."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.working_days import (
    add_working_days,
    holidays,
    is_working_day,
    orthodox_easter,
)

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2018, date(2018, 4, 8)),
        (2021, date(2021, 5, 2)),
        (2024, date(2024, 5, 5)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 12)),
        (2027, date(2027, 5, 2)),
        (2030, date(2030, 4, 28)),
    ],
)
def test_orthodox_easter_matches_the_published_dates(year: int, easter: date) -> None:
    assert orthodox_easter(year) == easter


def test_the_holidays_of_2026() -> None:
    assert sorted(holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 1, 2),
        date(2026, 1, 6),
        date(2026, 1, 7),
        date(2026, 1, 24),
        date(2026, 4, 10),  # Good Friday
        date(2026, 4, 12),
        date(2026, 4, 13),
        date(2026, 5, 1),
        date(2026, 5, 31),  # Pentecost
        date(2026, 6, 1),  # Pentecost Monday and Children's Day on one day
        date(2026, 8, 15),
        date(2026, 11, 30),
        date(2026, 12, 1),
        date(2026, 12, 25),
        date(2026, 12, 26),
    ]


def test_holidays_added_later_count_only_from_their_year() -> None:
    assert date(2023, 1, 6) not in holidays(2023)
    assert date(2024, 1, 6) in holidays(2024)
    assert orthodox_easter(2017) - timedelta(days=2) not in holidays(2017)
    assert orthodox_easter(2018) - timedelta(days=2) in holidays(2018)


@pytest.mark.parametrize(
    ("issued", "deadline"),
    [
        (date(2026, 12, 7), date(2026, 12, 14)),  # a Monday: next Monday
        (date(2026, 12, 11), date(2026, 12, 18)),  # a Friday
        (date(2026, 12, 12), date(2026, 12, 18)),  # a Saturday: counted from Monday
        (date(2026, 11, 26), date(2026, 12, 7)),  # across 30 Nov and 1 Dec
        (date(2026, 12, 22), date(2026, 12, 30)),  # Christmas
        (date(2026, 12, 28), date(2027, 1, 5)),  # New Year
        (date(2026, 4, 8), date(2026, 4, 17)),  # Good Friday and Easter Monday
    ],
)
def test_five_working_days_after_an_issue_date(issued: date, deadline: date) -> None:
    assert add_working_days(issued, 5) == deadline


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 1, 1), -1)


@given(DAYS, st.integers(min_value=0, max_value=40))
def test_exactly_n_working_days_are_counted(day: date, n: int) -> None:
    end = add_working_days(day, n)
    between = [day + timedelta(days=k) for k in range(1, (end - day).days + 1)]
    assert sum(is_working_day(d) for d in between) == n
    assert n == 0 or is_working_day(end)


@given(DAYS, st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=20))
def test_counting_in_two_steps_is_counting_once(day: date, m: int, n: int) -> None:
    assert add_working_days(add_working_days(day, m), n) == add_working_days(day, m + n)


@given(DAYS)
def test_easter_is_a_sunday_between_april_4_and_may_8(day: date) -> None:
    easter = orthodox_easter(day.year)
    assert easter.weekday() == 6
    assert date(day.year, 4, 4) <= easter <= date(day.year, 5, 8)
    assert not is_working_day(easter + timedelta(days=1))
    assert not is_working_day(easter + timedelta(days=50))
