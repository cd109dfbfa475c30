"""Worked examples for recura.core.periods."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from recura.core.periods import (
    BillingAlignment,
    Interval,
    IntervalUnit,
    Period,
    Schedule,
    add_interval,
    calendar_anchor,
    first_period,
    schedule_for,
)

BUC = "Europe/Bucharest"
LA = "America/Los_Angeles"
CHATHAM = "Pacific/Chatham"

DAY = Interval(IntervalUnit.DAY)
WEEK = Interval(IntervalUnit.WEEK)
MONTH = Interval(IntervalUnit.MONTH)
QUARTER = Interval(IntervalUnit.MONTH, 3)
YEAR = Interval(IntervalUnit.YEAR)


def at(
    zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    """An aware datetime from local wall-clock fields in `zone`."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold)


def wall(value: datetime, zone: str) -> str:
    """Local wall-clock time of an instant in `zone`, for readable assertions."""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def walls(schedule: Schedule, ns: range) -> list[str]:
    return [wall(schedule.boundary(n), schedule.zone) for n in ns]


# --- month-end clamping from the stored anchor ---------------------------------------------


def test_monthly_from_jan_31_in_a_leap_year() -> None:
    schedule = Schedule(at(BUC, 2028, 1, 31, 10), MONTH, BUC)
    assert walls(schedule, range(-2, 7)) == [
        "2027-11-30 10:00",
        "2027-12-31 10:00",
        "2028-01-31 10:00",
        "2028-02-29 10:00",
        "2028-03-31 10:00",
        "2028-04-30 10:00",
        "2028-05-31 10:00",
        "2028-06-30 10:00",
        "2028-07-31 10:00",
    ]


def test_monthly_from_jan_31_in_a_common_year_never_drifts() -> None:
    schedule = Schedule(at(BUC, 2027, 1, 31, 10), MONTH, BUC)
    assert walls(schedule, range(1, 4)) == [
        "2027-02-28 10:00",
        "2027-03-31 10:00",
        "2027-04-30 10:00",
    ]
    # Chaining from the previous end would stick to the 28th; the stored anchor does not.
    feb = add_interval(schedule.anchor, IntervalUnit.MONTH, 1, BUC)
    assert wall(add_interval(feb, IntervalUnit.MONTH, 1, BUC), BUC) == "2027-03-28 10:00"


def test_yearly_from_feb_29() -> None:
    schedule = Schedule(at(BUC, 2028, 2, 29, 9, 15), YEAR, BUC)
    assert walls(schedule, range(-4, 5)) == [
        "2024-02-29 09:15",
        "2025-02-28 09:15",
        "2026-02-28 09:15",
        "2027-02-28 09:15",
        "2028-02-29 09:15",
        "2029-02-28 09:15",
        "2030-02-28 09:15",
        "2031-02-28 09:15",
        "2032-02-29 09:15",
    ]


def test_quarterly_keeps_the_anchor_day() -> None:
    schedule = Schedule(at(BUC, 2027, 11, 30, 8), QUARTER, BUC)
    assert walls(schedule, range(5)) == [
        "2027-11-30 08:00",
        "2028-02-29 08:00",
        "2028-05-30 08:00",
        "2028-08-30 08:00",
        "2028-11-30 08:00",
    ]


def test_monthly_uses_local_fields_not_utc() -> None:
    # 23:30 in Los Angeles on Jan 31 is already Feb 1 in UTC; clamping must use Jan 31.
    schedule = Schedule(at(LA, 2027, 1, 31, 23, 30), MONTH, LA)
    assert schedule.anchor == datetime(2027, 2, 1, 7, 30, tzinfo=UTC)
    assert walls(schedule, range(1, 3)) == ["2027-02-28 23:30", "2027-03-31 23:30"]


# --- weeks, days and DST -------------------------------------------------------------------


def test_weekly_keeps_local_time_across_dst() -> None:
    schedule = Schedule(at(BUC, 2026, 3, 23, 9), WEEK, BUC)
    assert walls(schedule, range(3)) == ["2026-03-23 09:00", "2026-03-30 09:00", "2026-04-06 09:00"]
    assert schedule.period(0).duration == timedelta(days=7, hours=-1)
    assert schedule.period(1).duration == timedelta(days=7)


def test_daily_across_bucharest_spring_forward_is_23_hours() -> None:
    schedule = Schedule(at(BUC, 2026, 3, 28), DAY, BUC)
    short = schedule.period(1)
    assert wall(short.start, BUC) == "2026-03-29 00:00"
    assert wall(short.end, BUC) == "2026-03-30 00:00"
    assert short.seconds == 23 * 3600
    assert schedule.period(0).seconds == schedule.period(2).seconds == 24 * 3600


def test_daily_across_bucharest_fall_back_is_25_hours() -> None:
    schedule = Schedule(at(BUC, 2026, 10, 1), DAY, BUC)
    long = schedule.period(24)
    assert (wall(long.start, BUC), wall(long.end, BUC)) == ("2026-10-25 00:00", "2026-10-26 00:00")
    assert long.duration == timedelta(hours=25)
    assert long.seconds == 25 * 3600


def test_time_in_spring_forward_gap_moves_forward_by_the_gap() -> None:
    # Los Angeles jumps 02:00 -> 03:00 on 2026-03-08: 02:30 that day does not exist.
    schedule = Schedule(at(LA, 2026, 2, 8, 2, 30), MONTH, LA)
    assert schedule.boundary(1) == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    assert wall(schedule.boundary(1), LA) == "2026-03-08 03:30"
    assert wall(schedule.boundary(2), LA) == "2026-04-08 02:30"


def test_bucharest_gap_is_03_to_04_local() -> None:
    # Bucharest springs forward at 01:00 UTC, 03:00 EET -> 04:00 EEST; 02:30 still exists.
    daily_0230 = Schedule(at(BUC, 2026, 3, 28, 2, 30), DAY, BUC)
    assert daily_0230.boundary(1) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    daily_0330 = Schedule(at(BUC, 2026, 3, 28, 3, 30), DAY, BUC)
    assert wall(daily_0330.boundary(1), BUC) == "2026-03-29 04:30"
    assert wall(daily_0330.boundary(2), BUC) == "2026-03-30 03:30"


def test_ambiguous_time_takes_the_first_occurrence() -> None:
    # Los Angeles repeats 01:00-02:00 on 2026-11-01.
    schedule = Schedule(at(LA, 2026, 10, 31, 1, 30), DAY, LA)
    assert schedule.boundary(1) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # PDT, not PST
    assert schedule.period(1).duration == timedelta(hours=25)


def test_anchor_in_second_occurrence_stays_itself() -> None:
    anchor = at(LA, 2026, 11, 1, 1, 30, fold=1)
    schedule = Schedule(anchor, DAY, LA)
    # PEP 495: == across zones is False for a repeated hour, so compare in UTC.
    assert anchor != anchor.astimezone(UTC)
    assert (
        schedule.boundary(0) == anchor.astimezone(UTC) == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    )
    assert schedule.boundary(-1) == datetime(2026, 10, 31, 8, 30, tzinfo=UTC)
    assert schedule.boundary(1) == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_chatham_quarter_hour_offsets() -> None:
    # Chatham is UTC+12:45, +13:45 in summer; it jumps 02:45 -> 03:45 on 2026-09-27.
    schedule = Schedule(at(CHATHAM, 2026, 9, 26, 3), DAY, CHATHAM)
    assert schedule.anchor == datetime(2026, 9, 25, 14, 15, tzinfo=UTC)
    assert wall(schedule.boundary(1), CHATHAM) == "2026-09-27 04:00"
    assert schedule.boundary(1) == datetime(2026, 9, 26, 14, 15, tzinfo=UTC)
    assert wall(schedule.boundary(2), CHATHAM) == "2026-09-28 03:00"
    assert schedule.period(1).duration == timedelta(hours=23)
    monthly = Schedule(at(CHATHAM, 2026, 1, 31), MONTH, CHATHAM)
    assert monthly.boundary(1) == datetime(2026, 2, 27, 10, 15, tzinfo=UTC)


def test_lord_howe_half_hour_dst_day() -> None:
    zone = "Australia/Lord_Howe"
    schedule = Schedule(at(zone, 2026, 10, 3), DAY, zone)
    assert schedule.period(1).duration == timedelta(hours=23, minutes=30)


# --- period_at and periods_between ---------------------------------------------------------


def test_boundary_instant_belongs_to_the_period_it_starts() -> None:
    schedule = Schedule(at(BUC, 2028, 1, 31, 10), MONTH, BUC)
    b3 = schedule.boundary(3)
    assert schedule.period_at(b3) == (3, schedule.period(3))
    assert schedule.period_at(b3 - timedelta(microseconds=1)) == (2, schedule.period(2))
    assert schedule.period_at(schedule.anchor) == (0, schedule.period(0))
    assert schedule.period_at(schedule.anchor - timedelta(microseconds=1))[0] == -1
    assert schedule.period(3).contains(b3)
    assert not schedule.period(2).contains(b3)


def test_period_at_accepts_any_zone_for_at() -> None:
    schedule = Schedule(at(BUC, 2026, 1, 1), MONTH, BUC)
    n, period = schedule.period_at(at(LA, 2026, 4, 30, 14))  # = May 1 00:00 Bucharest
    assert n == 4
    assert wall(period.start, BUC) == "2026-05-01 00:00"


def test_inputs_in_a_repeated_hour_compare_as_instants() -> None:
    second = at(LA, 2026, 11, 1, 1, 30, fold=1)
    schedule = Schedule(datetime(2026, 11, 1, 9, 30, tzinfo=UTC), DAY, LA)
    assert schedule.period_at(second)[0] == 0
    assert schedule.period(0).contains(second)
    assert not schedule.period(-1).contains(second)
    assert schedule.periods_between(second, schedule.boundary(0)) == []
    assert Period(second, schedule.boundary(1)) == schedule.period(0)


def test_period_at_decades_away() -> None:
    schedule = Schedule(at(LA, 1990, 1, 31), DAY, LA)
    n, period = schedule.period_at(datetime(2090, 7, 4, 12, tzinfo=UTC))
    assert period == schedule.period(n)
    assert wall(period.start, LA) == "2090-07-04 00:00"
    yearly = Schedule(at(LA, 1904, 2, 29, 12), YEAR, LA)
    n, period = yearly.period_at(datetime(2100, 3, 1, tzinfo=UTC))
    assert n == 196
    assert wall(period.start, LA) == "2100-02-28 12:00"


def test_periods_between() -> None:
    schedule = Schedule(at(BUC, 2028, 1, 31, 10), MONTH, BUC)
    got = schedule.periods_between(at(BUC, 2028, 2, 10), at(BUC, 2028, 4, 30, 10))
    assert got == [schedule.period(0), schedule.period(1), schedule.period(2)]
    assert schedule.periods_between(schedule.boundary(1), schedule.boundary(2)) == [
        schedule.period(1)
    ]
    assert schedule.periods_between(schedule.boundary(1), schedule.boundary(1)) == []
    with pytest.raises(ValueError, match="before start"):
        schedule.periods_between(schedule.boundary(2), schedule.boundary(1))


def test_a_dropped_day_is_stepped_over() -> None:
    # Samoa skipped 2011-12-30 entirely; two daily boundaries land on the same instant.
    zone = "Pacific/Apia"
    schedule = Schedule(at(zone, 2011, 12, 28, 10), DAY, zone)
    assert walls(schedule, range(2, 4)) == ["2011-12-31 10:00", "2011-12-31 10:00"]
    with pytest.raises(ValueError, match="must be after start"):
        schedule.period(2)
    assert schedule.period_at(at(zone, 2011, 12, 31, 12)) == (3, schedule.period(3))
    got = schedule.periods_between(schedule.anchor, schedule.boundary(4))
    assert got == [schedule.period(0), schedule.period(1), schedule.period(3)]


# --- calendar alignment --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (MONTH, datetime(2026, 2, 28, 22, tzinfo=UTC)),
        (QUARTER, datetime(2026, 2, 28, 22, tzinfo=UTC)),
        (YEAR, datetime(2025, 12, 31, 22, tzinfo=UTC)),
        (WEEK, datetime(2026, 3, 8, 22, tzinfo=UTC)),  # Monday March 9th, local midnight
        (DAY, datetime(2026, 3, 13, 22, tzinfo=UTC)),
    ],
)
def test_calendar_anchor(interval: Interval, expected: datetime) -> None:
    start = at(BUC, 2026, 3, 14, 10)
    assert calendar_anchor(start, interval, BUC) == expected


def test_calendar_anchor_at_a_boundary_is_that_boundary() -> None:
    start = at(BUC, 2026, 4, 1)
    assert calendar_anchor(start, MONTH, BUC) == start
    assert calendar_anchor(start - timedelta(microseconds=1), MONTH, BUC) == at(BUC, 2026, 3, 1)


def test_calendar_anchor_in_chatham_and_los_angeles() -> None:
    assert calendar_anchor(at(CHATHAM, 2026, 3, 14, 8), MONTH, CHATHAM) == datetime(
        2026, 2, 28, 10, 15, tzinfo=UTC
    )
    # 2026-03-01 03:00 UTC is still February 28th in Los Angeles.
    assert calendar_anchor(datetime(2026, 3, 1, 3, tzinfo=UTC), MONTH, LA) == at(LA, 2026, 2, 1)


def test_calendar_quarterly_grid_starts_at_the_start_month() -> None:
    schedule = schedule_for(at(BUC, 2026, 3, 14, 10), QUARTER, BUC, BillingAlignment.CALENDAR)
    assert walls(schedule, range(5)) == [
        "2026-03-01 00:00",
        "2026-06-01 00:00",
        "2026-09-01 00:00",
        "2026-12-01 00:00",
        "2027-03-01 00:00",
    ]


def test_calendar_anchor_when_local_midnight_does_not_exist() -> None:
    # Asuncion sprang forward 00:00 -> 01:00 on 2023-10-01: the previous boundary of the same
    # grid is the anchor, and the missing midnight becomes 01:00 in the schedule.
    zone = "America/Asuncion"
    start = at(zone, 2023, 10, 15, 12)
    assert calendar_anchor(start, MONTH, zone) == at(zone, 2023, 9, 1)
    assert calendar_anchor(start, QUARTER, zone) == at(zone, 2023, 7, 1)
    schedule = schedule_for(start, MONTH, zone, BillingAlignment.CALENDAR)
    assert walls(schedule, range(3)) == ["2023-09-01 00:00", "2023-10-01 01:00", "2023-11-01 00:00"]
    assert first_period(start, MONTH, zone, BillingAlignment.CALENDAR) == Period(
        start, at(zone, 2023, 11, 1)
    )
    daily = first_period(at(zone, 2023, 10, 1, 1, 30), DAY, zone, BillingAlignment.CALENDAR)
    assert daily == Period(at(zone, 2023, 10, 1, 1, 30), at(zone, 2023, 10, 2))


def test_first_period_calendar_is_partial() -> None:
    start = at(BUC, 2026, 3, 14, 10)
    period = first_period(start, MONTH, BUC, BillingAlignment.CALENDAR)
    assert period == Period(start, at(BUC, 2026, 4, 1))
    assert period.seconds == (17 * 24 + 14 - 1) * 3600  # one hour lost to DST on March 29th
    full = first_period(at(BUC, 2026, 4, 1), MONTH, BUC, BillingAlignment.CALENDAR)
    assert full == Period(at(BUC, 2026, 4, 1), at(BUC, 2026, 5, 1))


def test_first_period_anniversary_is_period_zero() -> None:
    start = at(BUC, 2028, 1, 31, 10)
    period = first_period(start, MONTH, BUC, BillingAlignment.ANNIVERSARY)
    assert period == Schedule(start, MONTH, BUC).period(0)
    assert period.end == at(BUC, 2028, 2, 29, 10)
    assert first_period(start, MONTH, BUC, "anniversary") == period  # type: ignore[arg-type]


# --- add_interval --------------------------------------------------------------------------


def test_add_interval_trial_days_keep_local_time() -> None:
    start = at(BUC, 2026, 3, 20, 18)
    end = add_interval(start, IntervalUnit.DAY, 14, BUC)
    assert wall(end, BUC) == "2026-04-03 18:00"
    assert end - start == timedelta(days=14, hours=-1)
    assert end.tzinfo is UTC


def test_add_interval_months_years_negative_and_zero() -> None:
    jan31 = at(BUC, 2028, 1, 31)
    assert wall(add_interval(jan31, IntervalUnit.MONTH, 1, BUC), BUC) == "2028-02-29 00:00"
    leap = at(LA, 2028, 2, 29, 12)
    assert wall(add_interval(leap, IntervalUnit.YEAR, -1, LA), LA) == "2027-02-28 12:00"
    assert wall(add_interval(leap, IntervalUnit.WEEK, -2, LA), LA) == "2028-02-15 12:00"
    second = at(LA, 2026, 11, 1, 1, 30, fold=1)
    assert add_interval(second, IntervalUnit.DAY, 0, LA) == second.astimezone(UTC)


# --- validation ----------------------------------------------------------------------------

NAIVE = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of these tests


def test_naive_datetimes_are_refused() -> None:
    schedule = Schedule(at(BUC, 2026, 1, 1), MONTH, BUC)
    aware = at(BUC, 2026, 2, 1)
    calls: list[Any] = [
        lambda: Schedule(NAIVE, MONTH, BUC),
        lambda: Period(NAIVE, aware),
        lambda: Period(aware, NAIVE),
        lambda: schedule.period(0).contains(NAIVE),
        lambda: schedule.period_at(NAIVE),
        lambda: schedule.periods_between(NAIVE, aware),
        lambda: schedule.periods_between(aware, NAIVE),
        lambda: calendar_anchor(NAIVE, MONTH, BUC),
        lambda: first_period(NAIVE, MONTH, BUC, BillingAlignment.CALENDAR),
        lambda: first_period(NAIVE, MONTH, BUC, BillingAlignment.ANNIVERSARY),
        lambda: add_interval(NAIVE, IntervalUnit.DAY, 14, BUC),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_interval_validation() -> None:
    assert Interval("month", 3) == QUARTER  # type: ignore[arg-type]
    assert Interval(IntervalUnit.YEAR).count == 1
    with pytest.raises(ValueError, match="at least 1"):
        Interval(IntervalUnit.MONTH, 0)
    with pytest.raises(TypeError):
        Interval(IntervalUnit.MONTH, True)
    with pytest.raises(TypeError):
        Interval(IntervalUnit.MONTH, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown interval unit"):
        Interval("fortnight")  # type: ignore[arg-type]


def test_zone_and_argument_validation() -> None:
    anchor = at(BUC, 2026, 1, 1)
    for bad in ["Mars/Olympus", "", "Europe", "../etc/passwd"]:
        with pytest.raises(ValueError, match="unknown time zone"):
            Schedule(anchor, MONTH, bad)
        with pytest.raises(ValueError, match="unknown time zone"):
            calendar_anchor(anchor, MONTH, bad)
    with pytest.raises(TypeError):
        Schedule(anchor, "month", BUC)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Schedule(anchor, MONTH, BUC).boundary(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        add_interval(anchor, IntervalUnit.DAY, True, BUC)
    with pytest.raises(ValueError, match="unknown interval unit"):
        add_interval(anchor, "hour", 1, BUC)  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # noqa: PT011 - the enum's own message
        first_period(anchor, MONTH, BUC, "weekly")  # type: ignore[arg-type]


def test_period_validation_and_properties() -> None:
    start = at(BUC, 2026, 1, 1)
    with pytest.raises(ValueError, match="must be after start"):
        Period(start, start)
    with pytest.raises(ValueError, match="must be after start"):
        Period(start, start - timedelta(seconds=1))
    period = Period(start, start + timedelta(seconds=90, microseconds=500))
    assert period.start.tzinfo is UTC
    assert period.duration == timedelta(seconds=90, microseconds=500)
    assert period.seconds == 90
    assert isinstance(period.seconds, int)
    assert not period.contains(period.end)


def test_out_of_range_is_a_value_error() -> None:
    schedule = Schedule(datetime(9999, 6, 1, tzinfo=UTC), MONTH, "UTC")
    with pytest.raises(ValueError, match="range"):
        schedule.boundary(12)
    daily = Schedule(datetime(9999, 12, 30, tzinfo=UTC), DAY, "UTC")
    with pytest.raises(ValueError, match="range"):
        daily.boundary(5)


def test_values_are_frozen_hashable_and_picklable() -> None:
    schedule = Schedule(at(BUC, 2026, 1, 31), MONTH, BUC)
    assert pickle.loads(pickle.dumps(schedule)) == schedule  # noqa: S301
    assert pickle.loads(pickle.dumps(schedule.period(1))) == schedule.period(1)  # noqa: S301
    assert len({schedule, Schedule(schedule.anchor, MONTH, BUC)}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.zone = LA  # type: ignore[misc]
    assert str(IntervalUnit.MONTH) == "month"
    assert BillingAlignment("calendar") is BillingAlignment.CALENDAR
