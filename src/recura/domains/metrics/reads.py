"""Reading the rollups: MRR and its movements per day, week or month, in each currency or
converted to a reporting currency, and the customers behind each number. Only rollup rows
are read, never the event log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from recura.core.exchange import NoRateError
from recura.core.money import Money
from recura.domains.common.errors import invalid
from recura.domains.common.tenant import Tenant
from recura.domains.exchange_rates import service as exchange_rates
from recura.domains.metrics import repository
from recura.domains.metrics.repository import EVERYONE, TYPES, Segment

MAX_DAYS = 3700  # ten years a day at a time


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, from Monday
    MONTH = "month"


def period_start(day: date, granularity: Granularity) -> date:
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    return day


def _next(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.DAY:
        return start + timedelta(days=1)
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


@dataclass(slots=True)
class Point:
    """One period in one currency: MRR at its end and the movements within it."""

    start: date
    end: date  # last day
    currency: str
    mrr: int = 0
    amounts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    customers: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))


def check_range(start: date, end: date) -> None:
    if end < start:
        raise invalid("/end", "end must not be before start")
    if (end - start).days > MAX_DAYS:
        raise invalid("/end", f"at most {MAX_DAYS} days at once")


def periods_of(start: date, end: date, granularity: Granularity) -> list[tuple[date, date]]:
    found, cursor = [], period_start(start, granularity)
    while cursor <= end:
        after = _next(cursor, granularity)
        found.append((max(cursor, start), min(after - timedelta(days=1), end)))
        cursor = after
    return found


def mrr(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    granularity: Granularity,
    currency: str | None = None,
    reporting: str | None = None,
    segment: Segment = EVERYONE,
) -> list[Point]:
    """MRR per period and currency (or all in `reporting`, each period converted at the
    rate in force on its last day, rounded once per amount), of `segment`."""
    check_range(start, end)
    periods = periods_of(start, end, granularity)
    # (day, currency) -> (amounts, customers) of the days up to `end`.
    days: dict[tuple[date, str], tuple[dict[str, int], dict[str, int]]] = {}
    for row in repository.totals(session, tenant, end, currency, segment):
        amounts = {t: getattr(row, t) for t in TYPES}
        counts = {t: getattr(row, f"{t}_customers") for t in TYPES}
        days[(row.day, row.currency)] = (amounts, counts)
    currencies = sorted({c for _, c in days} | ({currency} if currency else set()))
    points: list[Point] = []
    for code in currencies:
        mine = sorted((d, v) for (d, c), v in days.items() if c == code)
        running, index = 0, 0
        for first, last in periods:
            point = Point(first, last, code)
            while index < len(mine) and mine[index][0] <= last:
                day, (amounts, counts) = mine[index]
                running += sum(amounts.values())
                if day >= first:
                    for t in TYPES:
                        point.amounts[t] += amounts[t]
                        point.customers[t] += counts[t]
                index += 1
            point.mrr = running
            points.append(point)
    if reporting is None:
        return points
    return _converted(session, tenant, points, periods, reporting)


def _converted(
    session: Session,
    tenant: Tenant,
    points: Sequence[Point],
    periods: Sequence[tuple[date, date]],
    reporting: str,
) -> list[Point]:
    by_period: dict[date, Point] = {first: Point(first, last, reporting) for first, last in periods}
    for p in points:
        target = by_period[p.start]

        def to(amount: int, p: Point = p) -> int:
            money = Money(amount, p.currency)
            try:
                return exchange_rates.convert(session, tenant, money, reporting, p.end).minor
            except NoRateError:
                raise invalid(
                    "/currency",
                    f"no {p.currency}/{reporting} rate on or before {p.end.isoformat()}",
                ) from None

        target.mrr += to(p.mrr) if p.mrr else 0
        for t in TYPES:
            target.amounts[t] += to(p.amounts[t]) if p.amounts[t] else 0
            target.customers[t] += p.customers[t]
    return list(by_period.values())


@dataclass(frozen=True, slots=True)
class CustomerMovement:
    day: date
    customer: str
    currency: str
    type: str
    amount: int


def movements(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    currency: str | None = None,
    type_: str | None = None,
    segment: Segment = EVERYONE,
) -> list[CustomerMovement]:
    """The customers' movements of days in [start, end], by day (of `segment`)."""
    check_range(start, end)
    rows = repository.movements_between(session, tenant, start, end, currency, segment)
    return [
        CustomerMovement(r.day, r.customer_id, r.currency, r.type, r.amount)
        for r in rows
        if type_ is None or r.type == type_
    ]


def plan_exists(session: Session, tenant: Tenant, plan: str) -> bool:
    return repository.exists(session, tenant, "plan", plan)


def product_exists(session: Session, tenant: Tenant, product: str) -> bool:
    return repository.exists(session, tenant, "product", product)


def subscribers_by_status(
    session: Session, tenant: Tenant, currency: str | None = None, segment: Segment = EVERYONE
) -> dict[str, int]:
    """The tenant's subscriptions (of `segment`) counted per status (of one currency, or
    all); counted by the database, as `core.metrics.by_status` defines it."""
    return repository.count_by_status(session, tenant, currency, segment)
