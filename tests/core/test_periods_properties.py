"""Hypothesis properties for recura.core.periods."""

from __future__ import annotations

import calendar
import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from recura.core.periods import (
    BillingAlignment,
    Interval,
    IntervalUnit,
    Period,
    Schedule,
    calendar_anchor,
    first_period,
)

ZONES = [
    "Europe/Bucharest",
    "America/Los_Angeles",
    "Pacific/Chatham",
    "UTC",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
]
MICROSECOND = timedelta(microseconds=1)
FIVE_YEARS_US = 5 * 366 * 86_400 * 10**6

# Times of day that sit in, or next to, the DST gaps and overlaps of the zones above.
TRICKY_TIMES = [time(0), time(1, 30), time(2), time(2, 15), time(2, 50), time(3, 30), time(23, 30)]

common = settings(max_examples=150, deadline=None)


@st.composite
def anchors(draw: st.DrawFn) -> tuple[datetime, str]:
    """An aware anchor in 2024-2032 (two leap cycles) with its zone, biased to month ends."""
    zone = draw(st.sampled_from(ZONES))
    day = draw(st.dates(date(2024, 1, 1), date(2032, 12, 31)))
    if draw(st.booleans()):
        last = calendar.monthrange(day.year, day.month)[1]
        day = day.replace(day=draw(st.integers(last - 3, last)))
    clock = draw(st.one_of(st.sampled_from(TRICKY_TIMES), st.times()))
    fold = draw(st.integers(0, 1))
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).replace(fold=fold), zone


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    anchor, zone = draw(anchors())
    unit = draw(st.sampled_from(IntervalUnit))
    return Schedule(anchor, Interval(unit, draw(st.integers(1, 13))), zone)


@st.composite
def instants_near(draw: st.DrawFn, around: datetime) -> datetime:
    """An instant within about five years of `around`, in UTC or the schedule's zone."""
    at = around + draw(st.integers(-FIVE_YEARS_US, FIVE_YEARS_US)) * MICROSECOND
    return at if draw(st.booleans()) else at.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """Reference month arithmetic, one month at a time, independent of the module."""
    step = 1 if months >= 0 else -1
    for _ in range(abs(months)):
        month += step
        if month == 13:
            year, month = year + 1, 1
        elif month == 0:
            year, month = year - 1, 12
    return year, month


@common
@given(schedules(), st.integers(-100, 100))
def test_periods_are_contiguous_increasing_and_non_empty(schedule: Schedule, n: int) -> None:
    periods = [schedule.period(k) for k in range(n - 2, n + 3)]
    for before, after in itertools.pairwise(periods):
        assert before.end == after.start
        assert before.start < before.end <= after.start < after.end
    for k in range(n - 2, n + 3):
        assert schedule.boundary(k) < schedule.boundary(k + 1)
        assert schedule.boundary(k).tzinfo is UTC
        assert schedule.period(k).start.tzinfo is schedule.period(k).end.tzinfo is UTC
    assert schedule.boundary(0) == schedule.anchor


@common
@given(schedules(), st.data())
def test_every_instant_is_in_exactly_one_period(schedule: Schedule, data: st.DataObject) -> None:
    at = data.draw(instants_near(schedule.anchor))
    n, period = schedule.period_at(at)
    assert period == schedule.period(n)
    assert period.contains(at)
    assert not schedule.period(n - 1).contains(at)
    assert not schedule.period(n + 1).contains(at)


@common
@given(schedules(), st.integers(-60, 60))
def test_boundaries_start_their_period(schedule: Schedule, n: int) -> None:
    start = schedule.boundary(n)
    assert schedule.period_at(start) == (n, schedule.period(n))
    assert schedule.period_at(start - MICROSECOND)[0] == n - 1


@common
@given(schedules(), st.integers(0, 40))
def test_direct_boundaries_equal_walking_through_periods(schedule: Schedule, n: int) -> None:
    forward = backward = schedule.anchor
    for _ in range(n):
        forward = schedule.period_at(forward)[1].end
        backward = schedule.period_at(backward - MICROSECOND)[1].start
    assert forward == schedule.boundary(n)
    assert backward == schedule.boundary(-n)
    unit_steps = Schedule(schedule.anchor, Interval(schedule.interval.unit), schedule.zone)
    assert unit_steps.boundary(n * schedule.interval.count) == schedule.boundary(n)


@common
@given(schedules(), st.integers(-30, 30))
def test_local_date_and_time_follow_the_anchor(schedule: Schedule, n: int) -> None:
    tz = ZoneInfo(schedule.zone)
    anchor = schedule.anchor.astimezone(tz)
    unit, steps = schedule.interval.unit, n * schedule.interval.count
    if unit in (IntervalUnit.MONTH, IntervalUnit.YEAR):
        months = steps * 12 if unit is IntervalUnit.YEAR else steps
        year, month = add_months(anchor.year, anchor.month, months)
        expected_day = date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))
    else:
        expected_day = anchor.date() + timedelta(
            days=steps * (7 if unit is IntervalUnit.WEEK else 1)
        )
    expected = datetime.combine(expected_day, anchor.time())
    local = schedule.boundary(n).astimezone(tz)
    # No gap in these zones crosses midnight, so the date is right even when the time moved.
    assert local.date() == expected_day
    shift = local.replace(tzinfo=None, fold=0) - expected
    if shift:
        # Only a nonexistent local time may move, and exactly by the gap's length.
        before = (schedule.boundary(n) - timedelta(hours=3)).astimezone(tz).utcoffset()
        after = local.utcoffset()
        assert before is not None
        assert after is not None
        assert shift == after - before
        assert timedelta(0) < shift <= timedelta(hours=1)
    elif n != 0:
        assert local.fold == 0  # an ambiguous time resolves to its first occurrence


@common
@given(schedules(), st.data())
def test_periods_between_covers_the_range(schedule: Schedule, data: st.DataObject) -> None:
    start = data.draw(instants_near(schedule.anchor))
    # Added in UTC: wall-clock arithmetic drops fold=1 and could put `end` before `start`.
    end = start.astimezone(UTC) + data.draw(st.integers(0, 3 * 366 * 86_400 * 10**6)) * MICROSECOND
    periods = schedule.periods_between(start, end)
    if start == end:
        assert periods == []
        return
    assert periods[0] == schedule.period_at(start)[1]
    assert periods[-1] == schedule.period_at(end - MICROSECOND)[1]
    for before, after in itertools.pairwise(periods):
        assert before.end == after.start
    assert all(p.start < end and p.end > start for p in periods)


@common
@given(anchors(), st.sampled_from(IntervalUnit), st.integers(1, 13), st.data())
def test_calendar_anchor_is_the_latest_boundary_at_or_before_start(
    anchor_zone: tuple[datetime, str], unit: IntervalUnit, count: int, data: st.DataObject
) -> None:
    anchor, zone = anchor_zone
    start = data.draw(instants_near(anchor))
    interval = Interval(unit, count)
    aligned = calendar_anchor(start, interval, zone)
    local = aligned.astimezone(ZoneInfo(zone))
    assert aligned <= start
    assert local.time() == time(0)  # no midnight gaps in these zones
    if unit is IntervalUnit.WEEK:
        assert local.weekday() == calendar.MONDAY
    if unit in (IntervalUnit.MONTH, IntervalUnit.YEAR):
        assert local.day == 1
    if unit is IntervalUnit.YEAR:
        assert local.month == 1
    unit_grid = Schedule(aligned, Interval(unit), zone)
    assert unit_grid.boundary(1) > start
    first = first_period(start, interval, zone, BillingAlignment.CALENDAR)
    assert first == Period(start, Schedule(aligned, interval, zone).boundary(1))
    anniversary = first_period(start, interval, zone, BillingAlignment.ANNIVERSARY)
    assert anniversary == Schedule(start, interval, zone).period(0)
