"""InvoiceBasis periods: intervals, anchors and period boundaries in the account's time zone.

Every boundary is computed from the stored anchor, never from the previous period's end, so
month-end clamping cannot drift (Jan 31 -> Feb 28 -> Mar 31, not Mar 28).

Arithmetic happens on local wall-clock fields in the account's zone, then the result is turned
back into an instant. Two DST rules apply whenever a computed local time is not a plain instant:

- a local time inside a spring-forward gap is moved forward by the length of the gap
  (America/Los_Angeles 02:30 -> 03:30; Europe/Bucharest 03:30 -> 04:30);
- an ambiguous local time in a fall-back overlap takes its first occurrence (fold=0).

All datetimes returned are aware and in UTC; naive datetimes are refused with ValueError.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "BillingAlignment",
    "Interval",
    "IntervalUnit",
    "Period",
    "Schedule",
    "add_interval",
    "calendar_anchor",
    "first_period",
    "schedule_for",
]


class IntervalUnit(StrEnum):
    """Unit of a billing interval; the values are stored and sent over the API."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class BillingAlignment(StrEnum):
    """Where periods start: at the subscription's start, or on calendar boundaries."""

    ANNIVERSARY = "anniversary"
    CALENDAR = "calendar"


_MICROSECOND: Final = timedelta(microseconds=1)

# Mean Gregorian lengths (365.2425 days a year), used only to guess a period index from elapsed
# time; period_at() then corrects the guess against the exact boundaries.
_MEAN_LENGTH_US: Final[dict[IntervalUnit, int]] = {
    IntervalUnit.DAY: 86_400 * 10**6,
    IntervalUnit.WEEK: 7 * 86_400 * 10**6,
    IntervalUnit.MONTH: 2_629_746 * 10**6,
    IntervalUnit.YEAR: 31_556_952 * 10**6,
}

# How many earlier calendar boundaries calendar_anchor() tries when local midnight does not exist.
_MIDNIGHT_RETRIES: Final = 4


def _is_int(value: object) -> bool:
    # bool is an int subclass, but True is never a meaningful count or index.
    return isinstance(value, int) and not isinstance(value, bool)


def _aware(value: object, name: str) -> datetime:
    """`value` converted to UTC; refuses naive datetimes."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    # PEP 495: == between different zones is always False for a time in a repeated hour
    # (01:30 fold=1 in Los Angeles never equals 09:30Z); comparing in UTC avoids that trap.
    return value.astimezone(UTC)


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str):
        raise TypeError(f"zone must be an IANA time zone name, got {type(name).__name__}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _unit(value: object) -> IntervalUnit:
    if isinstance(value, str):
        try:
            return IntervalUnit(value)
        except ValueError:
            pass
    raise ValueError(f"unknown interval unit {value!r}")


def _wall(at: datetime, tz: ZoneInfo) -> datetime:
    """Naive local wall-clock time of `at` in `tz`, with fold cleared."""
    # fold must not leak into later replace() calls: it would pick the second occurrence.
    return at.astimezone(tz).replace(tzinfo=None, fold=0)


def _instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall-clock time, applying the module's DST rules."""
    # fold=0 implements both rules: an ambiguous time resolves to its first occurrence, and a
    # time in a gap gets the offset in force before the transition, which is the same instant
    # as the wall time moved forward by the gap.
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _exists(wall: datetime, tz: ZoneInfo) -> bool:
    return _wall(_instant(wall, tz), tz) == wall


def _shift_wall(wall: datetime, unit: IntervalUnit, k: int) -> datetime:
    """Move a naive wall-clock time by `k` units, clamping the day to the month's length."""
    if unit in (IntervalUnit.DAY, IntervalUnit.WEEK):
        # Naive arithmetic is calendar-day arithmetic: midnight stays midnight across DST.
        return wall + timedelta(days=k * (7 if unit is IntervalUnit.WEEK else 1))
    index = wall.year * 12 + (wall.month - 1) + k * (12 if unit is IntervalUnit.YEAR else 1)
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is outside the supported range 1..9999")
    day = min(wall.day, calendar.monthrange(year, month0 + 1)[1])
    return wall.replace(year=year, month=month0 + 1, day=day)


def _advance(at: datetime, unit: IntervalUnit, k: int, tz: ZoneInfo) -> datetime:
    if k == 0:
        # Re-deriving `at` from its wall clock could move it to the first occurrence of an
        # ambiguous hour; an unmoved instant must stay exactly itself.
        return at.astimezone(UTC)
    try:
        return _instant(_shift_wall(_wall(at, tz), unit, k), tz)
    except OverflowError as exc:
        raise ValueError(f"moving {at.isoformat()} by {k} {unit} leaves the date range") from exc


@dataclass(frozen=True, slots=True)
class Interval:
    """A billing interval: `count` units (every 3 months = Interval(MONTH, 3))."""

    unit: IntervalUnit
    count: int = 1

    def __post_init__(self) -> None:
        # Accepting the stored string form ("month") keeps loading from the database simple.
        object.__setattr__(self, "unit", _unit(self.unit))
        if not _is_int(self.count):
            raise TypeError(f"interval count must be an int, got {type(self.count).__name__}")
        if self.count < 1:
            raise ValueError(f"interval count must be at least 1, got {self.count}")


@dataclass(frozen=True, slots=True)
class Period:
    """The half-open span [start, end); both ends are stored in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _aware(self.start, "start"))
        object.__setattr__(self, "end", _aware(self.end, "end"))
        if self.end <= self.start:
            raise ValueError(
                f"period end {self.end.isoformat()} must be after start {self.start.isoformat()}"
            )

    def contains(self, at: datetime) -> bool:
        """True if start <= at < end: a boundary instant belongs to the period it starts."""
        return self.start <= _aware(at, "at") < self.end

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def seconds(self) -> int:
        """Whole seconds in the period, computed without floats (sub-second rest dropped)."""
        # Schedule boundaries share the anchor's time of day and zone offsets are whole
        # seconds, so schedule periods have no rest; only hand-made partial periods can.
        return self.duration // timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Periods of a subscription: boundary(n) is `anchor` moved by n intervals in `zone`.

    The anchor is the stored instant every boundary derives from; `zone` is the account's
    IANA time zone. Boundaries are strictly increasing and periods contiguous, with one
    exception: where a zone dropped a whole calendar day (Pacific/Apia, 2011-12-30) a daily
    boundary lands on the next one, period(n) of that empty index raises ValueError, and
    period_at() and periods_between() step over it.
    """

    anchor: datetime
    interval: Interval
    zone: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchor", _aware(self.anchor, "anchor"))
        if not isinstance(self.interval, Interval):
            raise TypeError(f"interval must be an Interval, got {type(self.interval).__name__}")
        _zone(self.zone)

    def boundary(self, n: int) -> datetime:
        """The n-th boundary in UTC (n may be negative); boundary(0) is the anchor.

        Months and years add to the anchor's local (year, month) and clamp its day to the
        month's length, keeping the local time of day; days and weeks add local calendar
        days. Local times that fall in a DST gap move forward by the gap, ambiguous ones
        take the first occurrence.
        """
        if not _is_int(n):
            raise TypeError(f"boundary index must be an int, got {type(n).__name__}")
        k = n * self.interval.count
        return _advance(self.anchor, self.interval.unit, k, ZoneInfo(self.zone))

    def period(self, n: int) -> Period:
        """The n-th period [boundary(n), boundary(n + 1)); period(0) starts at the anchor."""
        return Period(self.boundary(n), self.boundary(n + 1))

    def period_at(self, at: datetime) -> tuple[int, Period]:
        """The index and the period that contains `at` (a boundary starts its period)."""
        return _period_at(self, _aware(at, "at"))

    def periods_between(self, start: datetime, end: datetime) -> list[Period]:
        """All periods overlapping [start, end), in order; empty when start == end."""
        start, end = _aware(start, "start"), _aware(end, "end")
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        if end == start:
            return []
        n, current = self.period_at(start)
        periods = [current]
        while current.end < end:
            n += 1
            following = self.boundary(n + 1)
            if following > current.end:
                current = Period(current.end, following)
                periods.append(current)
        return periods


# Pure, and asked again and again for the same few instants: a renewal asks for the period
# at its end and at the next start, a batch for many subscriptions sharing an anchor.
@lru_cache(maxsize=8192)
def _period_at(schedule: Schedule, at: datetime) -> tuple[int, Period]:
    # Guess from the mean interval length so decades-old schedules cost the same as new
    # ones; the guess is off by at most a step or two, which the loops below correct.
    step = _MEAN_LENGTH_US[schedule.interval.unit] * schedule.interval.count
    n = ((at - schedule.anchor) // _MICROSECOND) // step
    start = schedule.boundary(n)
    while start > at:
        n -= 1
        start = schedule.boundary(n)
    end = schedule.boundary(n + 1)
    while end <= at:
        n += 1
        start, end = end, schedule.boundary(n + 1)
    return n, Period(start, end)


def calendar_anchor(start: datetime, interval: Interval, zone: str) -> datetime:
    """The calendar boundary of `interval.unit` at or before `start`, in UTC.

    Boundaries are local midnights in `zone`: the 1st of the month, January 1st, Monday, or
    the day itself. For count > 1 the grid starts at the unit boundary at or before `start`
    (quarterly from March 14th bills Mar 1, Jun 1, Sep 1, Dec 1), not at calendar quarters.

    Where that midnight does not exist (zones that change DST at 00:00), the previous boundary
    of the same grid is returned instead, so the anchor's time of day stays 00:00; the
    skipped boundary is still produced by the schedule, moved forward by the gap.
    """
    start = _aware(start, "start")
    if not isinstance(interval, Interval):
        raise TypeError(f"interval must be an Interval, got {type(interval).__name__}")
    tz = _zone(zone)
    day = _wall(start, tz).date()
    if interval.unit is IntervalUnit.WEEK:
        day -= timedelta(days=day.weekday())
    elif interval.unit is IntervalUnit.MONTH:
        day = day.replace(day=1)
    elif interval.unit is IntervalUnit.YEAR:
        day = date(day.year, 1, 1)
    first = datetime.combine(day, time())
    candidate = first
    for _ in range(_MIDNIGHT_RETRIES):
        if _exists(candidate, tz):
            return _instant(candidate, tz)
        candidate = _shift_wall(candidate, interval.unit, -interval.count)
    return _instant(first, tz)


def schedule_for(
    start: datetime, interval: Interval, zone: str, alignment: BillingAlignment
) -> Schedule:
    """The schedule of a subscription starting at `start` under `alignment`."""
    if BillingAlignment(alignment) is BillingAlignment.CALENDAR:
        return Schedule(calendar_anchor(start, interval, zone), interval, zone)
    return Schedule(start, interval, zone)


def first_period(
    start: datetime, interval: Interval, zone: str, alignment: BillingAlignment
) -> Period:
    """The first period of a subscription starting at `start`.

    ANNIVERSARY: a full interval from `start`. CALENDAR: [start, next calendar boundary),
    a partial period the caller prorates (full when `start` is itself a boundary).
    """
    # Under ANNIVERSARY `start` is boundary(0), so this is exactly period(0).
    _, current = schedule_for(start, interval, zone, alignment).period_at(start)
    return Period(start, current.end)


def add_interval(at: datetime, unit: IntervalUnit, count: int, zone: str) -> datetime:
    """`at` moved by `count` units in `zone`, in UTC (trials: add_interval(t, DAY, 14, z)).

    Same rules as Schedule.boundary: day clamped to the month's length, local time of day
    kept, DST gaps move forward, ambiguous times take the first occurrence. `count` may be
    zero or negative.
    """
    at = _aware(at, "at")
    if not _is_int(count):
        raise TypeError(f"count must be an int, got {type(count).__name__}")
    return _advance(at, _unit(unit), count, _zone(zone))
