"""The funnel metrics per day, week or month: trial conversion, checkout conversion,
dunning recovery, voluntary and involuntary churn, cancel reasons with retention-offer
acceptance, and support first-response times. Periods are the account's days."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recura.core import funnels
from recura.core.funnels import CheckoutFunnel, OfferAcceptance, ResponseTimes
from recura.core.metrics import ChurnKind, churn_split, dunning_recovery, trial_conversion
from recura.domains.common.tenant import Tenant
from recura.domains.funnels import repository
from recura.domains.metrics.reads import Granularity, check_range, periods_of

T = TypeVar("T")
UPDATED, PAST_DUE, CANCELED = (
    "subscription.updated",
    "subscription.past_due",
    "subscription.canceled",
)


@dataclass(frozen=True, slots=True)
class Window:
    """The periods of a range in the account's days, and the instants bounding it."""

    periods: list[tuple[date, date]]
    zone: ZoneInfo
    start: datetime
    end: datetime

    def day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def bucket(self, items: Iterable[tuple[datetime, T]]) -> list[list[T]]:
        """The items of each period, by the account's day of their instant."""
        found: list[list[T]] = [[] for _ in self.periods]
        firsts = [first for first, _ in self.periods]
        for at, item in items:
            day = self.day(at)
            index = _find(firsts, day)
            if index is not None and day <= self.periods[index][1]:
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
    return Window(periods, zone, instant(start), instant(end + timedelta(days=1)))


def _points(w: Window, values: list[T]) -> list[tuple[date, date, T]]:
    return [(first, last, v) for (first, last), v in zip(w.periods, values, strict=True)]


def _on_plans(plans: set[str] | None) -> Callable[[dict[str, Any]], bool]:
    return lambda data: plans is None or data.get("plan") in plans


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
    active and its first charge did not fail then, or a later payment recovered it."""
    keep = _on_plans(plans)
    types = (UPDATED, PAST_DUE, CANCELED)
    rows = repository.subscription_events(session, tenant, w.start, w.end, types)
    ended: dict[str, tuple[datetime, bool]] = {}
    for sub, _, at, data, _, _ in rows:
        if (
            data.get("previous_status") == "trialing"
            and data.get("status") != "trialing"
            and keep(data)
        ):
            ended.setdefault(sub, (at, data.get("status") == "active"))
    failed: set[str] = set()
    recovered: set[str] = set()
    if ended:
        for sub, at, _ in repository.events_of(session, tenant, ended, w.start, PAST_DUE):
            if at == ended[sub][0]:
                failed.add(sub)  # the charge at the trial's end failed
        for sub, at, data in repository.events_of(session, tenant, ended, w.start, UPDATED):
            if data.get("change") == "payment_recovered" and at >= ended[sub][0]:
                recovered.add(sub)
    paid = [
        (at, active and (sub not in failed or sub in recovered))
        for sub, (at, active) in ended.items()
    ]
    values = [Trials(len(b), sum(b)) for b in w.bucket(paid)]
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
    of them were recovered afterwards (a later payment made them active again)."""
    keep = _on_plans(plans)
    rows = repository.subscription_events(session, tenant, w.start, w.end, (PAST_DUE,))
    entered: dict[str, datetime] = {}
    for sub, _, at, data, _, _ in rows:
        if keep(data):
            entered.setdefault(sub, at)  # a subscription counts once, when it first failed
    recovered: set[str] = set()
    if entered:
        later = repository.events_of(session, tenant, entered, w.start, UPDATED)
        for sub, at, data in later:
            if data.get("change") == "payment_recovered" and at >= entered[sub]:
                recovered.add(sub)
    buckets = w.bucket((at, sub in recovered) for sub, at in entered.items())
    return _points(w, [Dunning(len(b), sum(b)) for b in buckets])


@dataclass(frozen=True, slots=True)
class ChurnKinds:
    subscriptions: dict[ChurnKind, int]
    mrr: dict[ChurnKind, int]


def churn_kinds(
    session: Session, tenant: Tenant, w: Window, currency: str, plans: set[str] | None
) -> list[tuple[date, date, ChurnKinds]]:
    """Paying subscriptions (of `currency`) that stopped paying in each period, voluntary
    or involuntary, and the MRR each kind lost."""
    keep = _on_plans(plans)
    rows = repository.subscription_events(session, tenant, w.start, w.end, (UPDATED, CANCELED))
    lost = [
        (at, (funnels.churn_kind(str(data.get("status")), data.get("reason")), -delta))
        for _, _, at, data, delta, code in rows
        if delta < 0 and data.get("mrr") == 0 and code == currency and keep(data)
    ]
    values = []
    for bucket in w.bucket(lost):
        amounts: Counter[ChurnKind] = Counter()
        for kind, amount in bucket:
            amounts[kind] += amount
        counts = churn_split(kind for kind, _ in bucket)
        values.append(ChurnKinds(counts, {k: amounts[k] for k in ChurnKind}))
    return _points(w, values)


def checkout(
    session: Session, tenant: Tenant, w: Window, plans: set[str] | None
) -> list[tuple[date, date, CheckoutFunnel]]:
    """Checkout sessions made in each period, by the stage they reached."""
    rows = repository.checkouts(session, tenant, w.start, w.end, plans)
    buckets = w.bucket((at, (stage, status == "complete")) for at, stage, status in rows)
    return _points(w, [funnels.checkout_funnel(b) for b in buckets])


def cancellations(
    session: Session, tenant: Tenant, w: Window
) -> list[tuple[date, date, OfferAcceptance]]:
    """Cancellation flows begun in each period: reasons given and offers' outcomes."""
    rows = repository.cancellation_flows(session, tenant, w.start, w.end)
    buckets = w.bucket((at, (reason, outcome, left)) for at, reason, outcome, left in rows)
    return _points(w, [funnels.offer_acceptance(b) for b in buckets])


def support(session: Session, tenant: Tenant, w: Window) -> list[tuple[date, date, ResponseTimes]]:
    """Support requests opened in each period and how long their first answer took."""
    rows = repository.support_requests(session, tenant, w.start, w.end)
    waits = [(at, None if first is None else first - at) for at, first in rows]
    return _points(w, [funnels.response_times(b) for b in w.bucket(waits)])
