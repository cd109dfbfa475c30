"""Engagement, from the days customers were active: active customers per day, week or
month (DAU, WAU, MAU), stickiness, usage per feature, onboarding completion, and the
customers at risk of leaving, each with its reasons.

Inputs are what the repositories read (an activity day is a customer and a date); nothing
here reads the clock: the day a figure is "as of" is always given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal

Granularity = Literal["day", "week", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("day", "week", "month")
# The trailing windows of the usual figures: today, the last 7 days, the last 30 days.
WEEK_DAYS = 7
MONTH_DAYS = 30
# At risk: the last RECENT_DAYS compared with the BEFORE_DAYS before them.
RECENT_DAYS = 14
BEFORE_DAYS = 28
DEFAULT_DROP = Fraction(1, 2)

ActivityDay = tuple[str, date]  # (customer id, day)


def bucket_start(day: date, granularity: Granularity) -> date:
    """The first day of the day's bucket: itself, its ISO week's Monday, or the 1st."""
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_bucket(start: date, granularity: Granularity) -> date:
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Bucket:
    start: date
    end: date  # exclusive
    active: int


def active_customers(
    days: Iterable[ActivityDay], first: date, last: date, granularity: Granularity
) -> list[Bucket]:
    """Distinct active customers in each bucket touching first..last (inclusive), every
    bucket listed, empty ones with 0. Activity outside first..last is not counted, so the
    first and last buckets may be partial. (The database counts the same way, per bucket,
    and hands the counts to `buckets`.)"""
    seen: dict[date, set[str]] = defaultdict(set)
    for customer, day in days:
        if first <= day <= last:
            seen[bucket_start(day, granularity)].add(customer)
    return buckets({start: len(who) for start, who in seen.items()}, first, last, granularity)


def buckets(
    counts: Mapping[date, int], first: date, last: date, granularity: Granularity
) -> list[Bucket]:
    """Every bucket touching first..last, with its count (by the bucket's first day; 0
    when it has none)."""
    found = []
    start = bucket_start(first, granularity)
    while start <= last:
        following = _next_bucket(start, granularity)
        found.append(Bucket(start, following, counts.get(start, 0)))
        start = following
    return found


@dataclass(frozen=True, slots=True)
class Active:
    """Distinct customers active on the day, in the 7 and in the 30 days ending with it."""

    on: date
    dau: int
    wau: int
    mau: int

    @property
    def stickiness(self) -> Fraction | None:
        """DAU / MAU: how many of the month's active customers come back on a given day."""
        return Fraction(self.dau, self.mau) if self.mau else None


def active_on(days: Iterable[ActivityDay], on: date) -> Active:
    """DAU, WAU and MAU as of `on`; activity after it is not counted."""
    daily: set[str] = set()
    weekly: set[str] = set()
    monthly: set[str] = set()
    week_from = on - timedelta(days=WEEK_DAYS - 1)
    month_from = on - timedelta(days=MONTH_DAYS - 1)
    for customer, day in days:
        if month_from <= day <= on:
            monthly.add(customer)
            if day >= week_from:
                weekly.add(customer)
                if day == on:
                    daily.add(customer)
    return Active(on, len(daily), len(weekly), len(monthly))


def stickiness(daily: Sequence[int], mau: int) -> Fraction | None:
    """The mean DAU over a month's days divided by that month's MAU: how many of the month's
    active customers come on an average day (1 is every one of them, every day)."""
    if not mau or not daily:
        return None
    return Fraction(sum(daily), len(daily) * mau)


@dataclass(frozen=True, slots=True)
class FeatureUsage:
    feature: str
    customers: int  # distinct customers who used it
    uses: int  # pings and usage events counted


def feature_usage(rows: Iterable[tuple[str, str, int]]) -> list[FeatureUsage]:
    """Per feature, from (customer, feature, uses) rows: distinct customers and total uses,
    the most used first (ties by name)."""
    customers: dict[str, set[str]] = defaultdict(set)
    uses: dict[str, int] = defaultdict(int)
    for customer, feature, count in rows:
        customers[feature].add(customer)
        uses[feature] += count
    found = [FeatureUsage(f, len(customers[f]), uses[f]) for f in customers]
    return sorted(found, key=lambda u: (-u.uses, u.feature))


@dataclass(frozen=True, slots=True)
class Onboarding:
    customers: int  # customers with at least one step to do
    completed: int  # of them, those who did every step
    steps: int  # steps to do, summed over the customers
    steps_done: int

    @property
    def rate(self) -> Fraction | None:
        """The share of customers with steps who finished them all."""
        return Fraction(self.completed, self.customers) if self.customers else None

    @property
    def step_rate(self) -> Fraction | None:
        return Fraction(self.steps_done, self.steps) if self.steps else None


def onboarding(progress: Iterable[tuple[int, int]]) -> Onboarding:
    """From each customer's (steps to do, steps done); done is capped at to-do, and a
    customer with nothing to do is not counted."""
    customers = completed = steps = steps_done = 0
    for to_do, done in progress:
        if to_do <= 0:
            continue
        done = max(0, min(done, to_do))
        customers += 1
        steps += to_do
        steps_done += done
        completed += done == to_do
    return Onboarding(customers, completed, steps, steps_done)


# At risk


@dataclass(frozen=True, slots=True)
class ActivityFell:
    """Active days per week: in the 28 days before, and in the last 14."""

    before_per_week: Fraction
    recent_per_week: Fraction
    code: Literal["activity_fell"] = "activity_fell"


@dataclass(frozen=True, slots=True)
class PaymentFailed:
    """Invoices past due, or whose last payment attempt failed."""

    invoices: int
    code: Literal["payment_failed"] = "payment_failed"


@dataclass(frozen=True, slots=True)
class CancellationScheduled:
    on: date  # the day it takes effect
    code: Literal["cancellation_scheduled"] = "cancellation_scheduled"


Reason = ActivityFell | PaymentFailed | CancellationScheduled
# How much each reason weighs in the score (0-100): a cancellation already asked for is
# the nearest to leaving; a failed payment leaves without anyone deciding to.
WEIGHTS = {"cancellation_scheduled": 50, "payment_failed": 30, "activity_fell": 20}


@dataclass(frozen=True, slots=True)
class AtRisk:
    customer: str
    score: int
    reasons: tuple[Reason, ...]


def activity_fell(
    recent_days: int, before_days: int, drop: Fraction = DEFAULT_DROP
) -> ActivityFell | None:
    """The fall when the last 14 days' active-day rate is below (1 - drop) times the rate
    of the 28 days before; a customer not active before has not fallen."""
    if before_days <= 0:
        return None
    before = Fraction(before_days * 7, BEFORE_DAYS)
    recent = Fraction(recent_days * 7, RECENT_DAYS)
    if recent < before * (1 - drop):
        return ActivityFell(before, recent)
    return None


def at_risk(
    recent: Mapping[str, int],
    before: Mapping[str, int],
    failed_payments: Mapping[str, int],
    cancellations: Mapping[str, date],
    drop: Fraction = DEFAULT_DROP,
) -> list[AtRisk]:
    """Customers with a reason to worry, the highest score first (ties by id).

    `recent` and `before`: active days per customer in the last 14 days and in the 28 before
    them; `failed_payments`: per customer, invoices past due or with a failed attempt;
    `cancellations`: per customer, the day a scheduled cancellation takes effect.
    """
    if not 0 < drop <= 1:
        raise ValueError("drop is a fraction above 0 and at most 1")
    found = []
    for customer in sorted(set(before) | set(failed_payments) | set(cancellations)):
        reasons: list[Reason] = []
        if customer in cancellations:
            reasons.append(CancellationScheduled(cancellations[customer]))
        if failed_payments.get(customer, 0) > 0:
            reasons.append(PaymentFailed(failed_payments[customer]))
        fell = activity_fell(recent.get(customer, 0), before.get(customer, 0), drop)
        if fell is not None:
            reasons.append(fell)
        if reasons:
            score = sum(WEIGHTS[r.code] for r in reasons)
            found.append(AtRisk(customer, score, tuple(reasons)))
    return sorted(found, key=lambda r: (-r.score, r.customer))
