"""The funnel metrics per day, week or month: trial conversion, checkout conversion,
dunning recovery, voluntary and involuntary churn, cancel reasons with retention-offer
acceptance, and support first-response times. Periods are the account's days."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recura.core import funnels
from recura.core.funnels import CheckoutFunnel, OfferAcceptance, ResponseTimes
from recura.core.metrics import ChurnKind, dunning_recovery, trial_conversion
from recura.domains.common.tenant import Tenant
from recura.domains.funnels import repository
from recura.domains.metrics.reads import Granularity, check_range, periods_of

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Window:
    """The periods of a range in the account's days, and the instants bounding it."""

    periods: list[tuple[date, date]]
    zone: ZoneInfo
    start: datetime
    end: datetime
    # Each period's first instant.
    starts: list[datetime]

    def day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    @property
    def first(self) -> date:
        return self.periods[0][0]

    @property
    def last(self) -> date:
        return self.periods[-1][1]

    def index(self, day: date) -> int | None:
        """The period holding `day` (None: outside the range)."""
        index = _find([first for first, _ in self.periods], day)
        if index is None or day > self.periods[index][1]:
            return None
        return index

    def bucket_days(self, items: Iterable[tuple[date, T]]) -> list[list[T]]:
        """The items of each period, by their day."""
        found: list[list[T]] = [[] for _ in self.periods]
        for day, item in items:
            index = self.index(day)
            if index is not None:
                found[index].append(item)
        return found


def _find(firsts: Sequence[date], day: date) -> int | None:
    low, high = 0, len(firsts)
    while low < high:
        middle = (low + high) // 2
        if firsts[middle] <= day:
            low = middle + 1
        else:
            high = middle
    return low - 1 if low > 0 else None


def window(
    session: Session, tenant: Tenant, start: date, end: date, granularity: Granularity
) -> Window:
    check_range(start, end)
    zone = ZoneInfo(repository.timezone_of(session, tenant.account_id))

    def instant(day: date) -> datetime:
        return datetime.combine(day, time(), zone).astimezone(UTC)

    periods = periods_of(start, end, granularity)
    starts = [instant(first) for first, _ in periods]
    return Window(periods, zone, instant(start), instant(end + timedelta(days=1)), starts)


def _points(w: Window, values: list[T]) -> list[tuple[date, date, T]]:
    return [(first, last, v) for (first, last), v in zip(w.periods, values, strict=True)]


def plans_for(
    session: Session, tenant: Tenant, plan: str | None, product: str | None
) -> set[str] | None:
    """The plans a plan/product filter keeps (None: every plan)."""
    if plan is None and product is None:
        return None
    chosen = {plan} if plan is not None else None
    if product is not None:
        of_product = repository.plans_of_product(session, tenant, product)
        chosen = of_product if chosen is None else chosen & of_product
    return chosen


@dataclass(frozen=True, slots=True)
class Trials:
    ended: int
    converted: int

    @property
    def conversion(self) -> Fraction | None:
        return trial_conversion(self.ended, self.converted)


def trials(
    session: Session, tenant: Tenant, w: Window, plans: set[str] | None
) -> list[tuple[date, date, Trials]]:
    """Trials that ended in each period, and those that became paying: the trial ended
    active and its first charge did not fail then, or a later payment recovered it.
    From the daily rollup (`funnels/rollups.py`)."""
    rows = repository.trials_per_day(session, tenant, w.first, w.last, plans)
    buckets = w.bucket_days((day, (ended, converted)) for day, ended, converted in rows)
    values = [Trials(sum(n for n, _ in b), sum(c for _, c in b)) for b in buckets]
    return _points(w, values)


@dataclass(frozen=True, slots=True)
class Dunning:
    entered: int
    recovered: int

    @property
    def recovery_rate(self) -> Fraction | None:
        return dunning_recovery(self.entered, self.recovered)


def dunning(
    session: Session, tenant: Tenant, w: Window, plans: set[str] | None
) -> list[tuple[date, date, Dunning]]:
    """Subscriptions whose payment failed in each period (entering dunning), and how many
    of them were recovered afterwards (a later payment made them active again). A
    subscription counts once a period, by its first entry in it: an entry whose previous
    one (its `gap` days before) fell before the period's start."""
    rows = repository.dunning_per_day(session, tenant, w.first, w.last, plans)
    entered, recovered = [0] * len(w.periods), [0] * len(w.periods)
    for day, gap, n, r in rows:
        index = w.index(day)
        if index is not None and gap > (day - w.periods[index][0]).days:
            entered[index] += n
            recovered[index] += r
    return _points(w, [Dunning(n, r) for n, r in zip(entered, recovered, strict=True)])


@dataclass(frozen=True, slots=True)
class ChurnKinds:
    subscriptions: dict[ChurnKind, int]
    mrr: dict[ChurnKind, int]


def churn_kinds(
    session: Session, tenant: Tenant, w: Window, currency: str, plans: set[str] | None
) -> list[tuple[date, date, ChurnKinds]]:
    """Paying subscriptions (of `currency`) that stopped paying in each period, voluntary
    or involuntary, and the MRR each kind lost."""
    rows = repository.churn_kinds_per_day(session, tenant, w.first, w.last, currency, plans)
    values = []
    for bucket in w.bucket_days((day, (kind, n, mrr)) for day, kind, n, mrr in rows):
        counts: Counter[ChurnKind] = Counter()
        amounts: Counter[ChurnKind] = Counter()
        for kind, n, mrr in bucket:
            counts[ChurnKind(kind)] += n
            amounts[ChurnKind(kind)] += mrr
        values.append(
            ChurnKinds({k: counts[k] for k in ChurnKind}, {k: amounts[k] for k in ChurnKind})
        )
    return _points(w, values)


def checkout(
    session: Session, tenant: Tenant, w: Window, plans: set[str] | None
) -> list[tuple[date, date, CheckoutFunnel]]:
    """Checkout sessions made in each period, by the furthest stage they reached and
    whether they completed: from the daily counts the checkout keeps (`counters.py`)."""
    rows = repository.checkout_per_day(session, tenant, w.first, w.last, plans)
    buckets = w.bucket_days((day, ((stage or None, done), n)) for day, stage, done, n in rows)
    return _points(w, [funnels.checkout_funnel_counted(b) for b in buckets])


def cancellations(
    session: Session, tenant: Tenant, w: Window
) -> list[tuple[date, date, OfferAcceptance]]:
    """Cancellation flows begun in each period: reasons given and offers' outcomes, from
    the daily counts the cancellation flow keeps (`counters.py`)."""
    rows = repository.cancellations_per_day(session, tenant, w.first, w.last)
    buckets = w.bucket_days(
        (day, ((reason or None, outcome, left), n)) for day, reason, outcome, left, n in rows
    )
    return _points(w, [funnels.offer_acceptance_counted(b) for b in buckets])


def support(session: Session, tenant: Tenant, w: Window) -> list[tuple[date, date, ResponseTimes]]:
    """Support requests opened in each period and how long their first answer took. The
    counts and summed waits come from the daily counts the support service keeps
    (`counters.py`); the median and 90th percentile are exact nearest-rank values, so
    the database ranks the answered requests' waits of the range and returns only the
    two wanted per period."""
    counts = [(0, 0, 0)] * len(w.periods)
    for day, n, answered, total in repository.support_per_day(session, tenant, w.first, w.last):
        index = w.index(day)
        if index is not None:
            c = counts[index]
            counts[index] = (c[0] + n, c[1] + answered, c[2] + total)
    shares = (funnels.MEDIAN, funnels.P90)
    wanted = {
        (p, funnels.nearest_rank(answered, share))
        for p, (_, answered, _) in enumerate(counts)
        if answered
        for share in shares
    }
    ranked = repository.support_ranked(session, tenant, w.starts, w.end, wanted)
    values = []
    for index, (n, answered, total) in enumerate(counts):
        at = {s: ranked[(index, funnels.nearest_rank(answered, s))] for s in shares if answered}
        values.append(funnels.response_times_of(n, answered, total, at))
    return _points(w, values)
