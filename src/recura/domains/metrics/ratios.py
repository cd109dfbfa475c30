"""The ratios over periods, read from the rollups: churn (logo, gross and net revenue),
NRR and GRR, ARPA and LTV, CAC per channel with payback and LTV:CAC, and cohort
retention. Each is `core.metrics`'s definition fed from `mrr_movements` and
`metric_rollups_daily`; nothing here is a formula of its own.

Without a filter, the opening MRR and the paying customers at a period's start come from
the daily totals (a customer's day movement of type new or reactivation starts it paying,
churn stops it). A month's movements come from its monthly totals (each customer already
netted over the month by the fold), and cohorts from the monthly totals per cohort: rows
per month, not per customer. A day's flow comes from the day's totals (each customer's
day movement is already netted over the day). A period that is neither (a week, a month
with movements outside a partial period) reads the customers who moved in it one by
one. A filter (country, channel, plan or product: a `Segment`) reads the same way, from
the totals of that segment (the rollups keep them apart). With `convert`, each currency
is read so and the flows (or cohorts) are combined in the reporting currency by
`core.metrics`, at the stored rates of each period's last day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from itertools import accumulate

from sqlalchemy.orm import Session

from recura.core import metric_conversion, metrics
from recura.core.exchange import NoRateError
from recura.core.metrics import (
    Cohort,
    MonthTotals,
    Movement,
    MovementType,
    PeriodFlow,
    Standing,
)
from recura.core.money import Money
from recura.db.models import MetricRollupMonthly
from recura.domains.common.errors import invalid
from recura.domains.common.tenant import Tenant
from recura.domains.exchange_rates import service as exchange_rates
from recura.domains.metrics import repository, settings
from recura.domains.metrics.reads import Granularity, check_range, periods_of
from recura.domains.metrics.repository import EVERYONE, Segment
from recura.domains.metrics.settings import AccountMetrics


def account_metrics(session: Session, tenant: Tenant) -> AccountMetrics:
    stored, default_currency = repository.metric_settings(session, tenant.account_id)
    return settings.of(stored, default_currency)


@dataclass(frozen=True, slots=True)
class FlowPoint:
    """One period of one currency: its flow, and the customers paying at its end.
    `netted`: each customer's movement over the period; None when the flow came from the
    month's totals (the customers were not read)."""

    start: date
    end: date  # last day
    flow: PeriodFlow
    netted: tuple[Movement, ...] | None
    customers_at_end: int

    @property
    def closing(self) -> Money:
        return self.flow.closing


def _movement(row: repository.MovementRow) -> Movement:
    day, customer, currency, kind, amount = row
    return Movement(day, customer, currency, MovementType(kind), amount)


def flows(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    granularity: Granularity,
    currency: str,
    segment: Segment = EVERYONE,
    chosen: AccountMetrics | None = None,
    convert: bool = False,
) -> list[FlowPoint]:
    """Each period's flow of one currency (of `segment`), or
    with `convert` of every currency combined in `currency`
    (`core.metric_conversion.combined_flow`)."""
    check_range(start, end)
    chosen = chosen or account_metrics(session, tenant)
    each = _each_currency(
        session, tenant, start, end, granularity, currency, segment, chosen, convert
    )
    return _combined(session, tenant, each, currency) if convert else each[currency]


def _each_currency(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    granularity: Granularity,
    currency: str,
    segment: Segment,
    chosen: AccountMetrics,
    convert: bool,
) -> dict[str, list[FlowPoint]]:
    """currency -> its flows: of `currency`, and with `convert` of every currency the
    chosen customers moved in."""
    codes = set()
    if convert:
        codes = set(repository.currencies(session, tenant, _month_end(end), segment))
    return {
        code: _flows_of(session, tenant, start, end, granularity, code, segment, chosen)
        for code in sorted(codes | {currency})
    }


def _combined(
    session: Session, tenant: Tenant, each: Mapping[str, Sequence[FlowPoint]], currency: str
) -> list[FlowPoint]:
    """Each period's flows of every currency as one in `currency`, at the rates in force
    on the period's last day (a currency with nothing in the period needs no rate)."""
    found = []
    for at in zip(*each.values(), strict=True):
        first = at[0]
        parts = [
            (p.flow, _factor(session, tenant, p.flow.opening.currency, currency, p.end))
            for p in at
            if p.flow.opening.minor or p.flow.amounts
        ]
        netted = [p.netted for p in at]
        found.append(
            FlowPoint(
                first.start,
                first.end,
                metric_conversion.combined_flow(parts, currency),
                None if None in netted else tuple(m for n in netted for m in n or ()),
                sum(p.customers_at_end for p in at),
            )
        )
    return found


def _flows_of(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    granularity: Granularity,
    currency: str,
    segment: Segment,
    chosen: AccountMetrics,
) -> list[FlowPoint]:
    periods = periods_of(start, end, granularity)
    net: dict[date, int] = defaultdict(int)
    paying: dict[date, int] = defaultdict(int)
    # A day's movements are each customer's already netted over the day: its totals are
    # its flow, as a month's month movements are the month's.
    of_day: dict[date, MonthTotals] = {}
    for row in repository.totals(session, tenant, _month_end(end), currency, segment):
        net[row.day] += row.new + row.expansion + row.contraction + row.churn + row.reactivation
        paying[row.day] += row.new_customers + row.reactivation_customers - row.churn_customers
        of_day[row.day] = _totals({name: getattr(row, name) for name in repository.TOTALS})
    days = sorted(net)
    # Running sums over the days with movements: a period's opening is one look-up.
    running_net = [0, *accumulate(net[d] for d in days)]
    running_paying = [0, *accumulate(paying[d] for d in days)]
    months: dict[date, MonthTotals] | None = None
    movers: _Movers | None = None
    found = []
    for first, last in periods:
        opening = running_net[bisect_left(days, first)]
        at_start = running_paying[bisect_left(days, first)]
        at_end = running_paying[bisect_right(days, last)]
        if granularity is Granularity.DAY:
            flow = metrics.month_flow(Money(opening, currency), at_start, _listed(of_day, first))
            found.append(FlowPoint(first, last, flow, None, at_end))
            continue
        if granularity is Granularity.MONTH and _as_whole_month(days, first, last):
            if months is None:
                months = _month_totals(session, tenant, start, end, currency, segment)
            month = months.get(first.replace(day=1))
            flow = metrics.month_flow(
                Money(opening, currency), at_start, [] if month is None else [month]
            )
            found.append(FlowPoint(first, last, flow, None, at_end))
            continue
        if movers is None:
            movers = _Movers(session, tenant, start, end, currency, segment)
        moved, before = movers.between(first, last)
        flow, netted = metrics.flow_of(
            Money(opening, currency), at_start, before, moved, chosen.settings
        )
        found.append(FlowPoint(first, last, flow, tuple(netted), at_end))
    return found


class _Movers:
    """The customers who moved in [start, end] one by one, for the periods the monthly
    totals cannot give: their movements, and their standings before `start` read once
    and rolled forward period by period (asked per period, a year by week read each
    week's movers' whole history again, 52 times)."""

    def __init__(
        self,
        session: Session,
        tenant: Tenant,
        start: date,
        end: date,
        currency: str,
        segment: Segment,
    ) -> None:
        found = repository.movement_rows(session, tenant, start, end, currency, segment)
        self._rows = sorted((_movement(r) for r in found), key=lambda m: m.day)
        self._days = [m.day for m in self._rows]
        self._standings = {
            customer: Standing(total, churned)
            for customer, total, churned in repository.standings_of_movers(
                session, tenant, start, end, currency, segment
            )
        }
        self._rolled = 0  # the rows before this index are in the standings

    def between(self, first: date, last: date) -> tuple[list[Movement], dict[str, Standing]]:
        """The movements of [first, last], and their customers' standings before `first`
        (periods asked in order)."""
        until = bisect_left(self._days, first)
        for m in self._rows[self._rolled : until]:
            was = self._standings.get(m.customer, Standing(0))
            churned = m.day if m.type is MovementType.CHURN else was.churned_on
            self._standings[m.customer] = Standing(was.mrr + m.amount, churned)
        self._rolled = max(self._rolled, until)
        moved = self._rows[until : bisect_right(self._days, last)]
        before = {
            m.customer: self._standings[m.customer] for m in moved if m.customer in self._standings
        }
        return moved, before


def _month_end(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)


def _as_whole_month(days: Sequence[date], first: date, last: date) -> bool:
    """Whether [first, last] holds all of its month's movements (no day of the month
    outside it has any), so the month's totals are its flow."""
    month_start, month_end = first.replace(day=1), _month_end(first)
    before = bisect_left(days, first) - bisect_left(days, month_start)
    after = bisect_right(days, month_end) - bisect_right(days, last)
    return before == 0 and after == 0


def _month_totals(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    currency: str,
    segment: Segment,
) -> dict[date, MonthTotals]:
    """month -> its totals (every cohort's), of the months from `start`'s to `end`'s."""
    found = repository.month_sums(session, tenant, start, end, currency, segment)
    return {month: _totals(values) for month, values in found.items()}


def _totals(values: Mapping[str, int]) -> MonthTotals:
    return MonthTotals(
        {MovementType(t): values[t] for t in repository.TYPES},
        {MovementType(t): values[f"{t}_customers"] for t in repository.TYPES},
        values.get("joined", 0),
    )


def _listed(found: Mapping[date, MonthTotals], day: date) -> list[MonthTotals]:
    return [found[day]] if day in found else []


def _row(row: MetricRollupMonthly) -> dict[str, int]:
    return {name: getattr(row, name) for name in repository.MONTH_TOTALS}


# --------------------------------------------------------------------------- LTV and CAC


@dataclass(frozen=True, slots=True)
class UnitEconomics:
    """One month of one currency: ARPA, churn and LTV; CAC over every channel and per
    channel, with payback months and LTV:CAC."""

    start: date
    end: date
    mrr: Money
    customers: int
    arpa: Money | None
    logo_churn_rate: Fraction | None
    gross_margin: Fraction
    ltv: Money | None
    spend: Money
    acquired: int
    cac: Money | None
    payback_months: Fraction | None
    ltv_to_cac: Fraction | None
    channels: tuple[ChannelCac, ...]


@dataclass(frozen=True, slots=True)
class ChannelCac:
    channel: str
    spend: Money
    acquired: int
    cac: Money | None
    payback_months: Fraction | None
    ltv_to_cac: Fraction | None


def unit_economics(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    currency: str,
    segment: Segment = EVERYONE,
    convert: bool = False,
) -> list[UnitEconomics]:
    """Per month (LTV needs a monthly churn rate): ARPA, LTV, CAC, payback, LTV:CAC.
    Spend in another currency is converted at the rate of the month's last day. With
    `convert`, the flows of every currency combined in `currency`, and the customers
    acquired of every currency summed."""
    chosen = account_metrics(session, tenant)
    check_range(start, end)
    each = _each_currency(
        session, tenant, start, end, Granularity.MONTH, currency, segment, chosen, convert
    )
    points = _combined(session, tenant, each, currency) if convert else each[currency]
    spend: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, spent_on, amount, spent_in in repository.spend_between(
        session, tenant, points[0].start.replace(day=1), end
    ):
        if segment.channel is not None and spent_on != segment.channel:
            continue
        # The rate the period's MRR is converted at: its last day's (the month's, unless
        # the range cuts it).
        last = next((p.end for p in points if p.start.replace(day=1) == month), month)
        converted = _convert(session, tenant, Money(amount, spent_in), currency, last)
        spend[month][spent_on] += converted.minor
    brought_in: dict[date, Counter[str]] = defaultdict(Counter)
    for code, mine in each.items():
        for first, counted in _acquired_by_channel(session, tenant, mine, code, segment).items():
            brought_in[first].update(counted)
    found = []
    for p in points:
        s = chosen.settings
        arpa = metrics.arpa(p.closing, p.customers_at_end)
        churn = metrics.logo_churn_rate(p.flow)
        ltv = metrics.ltv(arpa, churn, s)
        acquired = p.flow.new_customers
        brought = brought_in[p.start]
        spent = spend.get(p.start.replace(day=1), {})
        total_spend = Money(sum(spent.values()), currency)
        cac = metrics.cac(total_spend, acquired) if spent else None
        per_channel = metrics.cac_of_channels(
            {k: Money(v, currency) for k, v in spent.items()}, brought
        )
        channels = tuple(
            ChannelCac(
                name,
                Money(spent.get(name, 0), currency),
                brought.get(name, 0),
                per_channel.get(name),
                metrics.payback_months(per_channel.get(name), arpa, s),
                metrics.ltv_to_cac(ltv, per_channel.get(name)),
            )
            for name in sorted(set(spent) | set(brought))
        )
        found.append(
            UnitEconomics(
                start=p.start,
                end=p.end,
                mrr=p.closing,
                customers=p.customers_at_end,
                arpa=arpa,
                logo_churn_rate=churn,
                gross_margin=s.gross_margin,
                ltv=ltv,
                spend=total_spend,
                acquired=acquired,
                cac=cac,
                payback_months=metrics.payback_months(cac, arpa, s),
                ltv_to_cac=metrics.ltv_to_cac(ltv, cac),
                channels=channels,
            )
        )
    return found


def _acquired_by_channel(
    session: Session,
    tenant: Tenant,
    points: Sequence[FlowPoint],
    currency: str,
    segment: Segment,
) -> dict[date, dict[str, int]]:
    """Each period's customers acquired (netted new business) counted per acquisition
    channel: the month's totals per channel for a period whose flow came from the
    month's totals, its netted movements' customers otherwise."""
    found: dict[date, dict[str, int]] = defaultdict(dict)
    from_months = [p for p in points if p.netted is None]
    if from_months:
        first, last = from_months[0].start, from_months[-1].start
        by_month: dict[date, dict[str, int]] = defaultdict(dict)
        for month, brought_by, count in repository.new_by_channel(
            session, tenant, first.replace(day=1), last, currency, segment
        ):
            by_month[month][brought_by] = count
        for p in from_months:
            found[p.start] = by_month[p.start.replace(day=1)]
    new = {
        p.start: [m.customer for m in p.netted if m.type is MovementType.NEW]
        for p in points
        if p.netted is not None
    }
    everyone = {customer for customers in new.values() for customer in customers}
    channel_of = repository.channels_of(session, tenant, everyone)
    for start, customers in new.items():
        counted: dict[str, int] = defaultdict(int)
        for customer in customers:
            if customer in channel_of:
                counted[channel_of[customer]] += 1
        found[start] = dict(counted)
    return found


def _convert(session: Session, tenant: Tenant, amount: Money, target: str, day: date) -> Money:
    if amount.currency == target:
        return amount
    try:
        return exchange_rates.convert(session, tenant, amount, target, day)
    except NoRateError:
        raise _no_rate(amount.currency, target, day) from None


def _factor(session: Session, tenant: Tenant, source: str, target: str, day: date) -> Fraction:
    try:
        return exchange_rates.factor(session, tenant, source, target, day)
    except NoRateError:
        raise _no_rate(source, target, day) from None


def _no_rate(source: str, target: str, day: date) -> Exception:
    return invalid("/currency", f"no {source}/{target} rate on or before {day.isoformat()}")


# ------------------------------------------------------------------------------- cohorts


@dataclass(frozen=True, slots=True)
class CohortRow:
    """A signup month's cohort; `customers` and `revenue` stop at the last month known."""

    cohort: Cohort
    months: int  # cells known (the months up to `until`, at most COHORT_MONTHS)


def cohorts(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    until: date,
    currency: str,
    segment: Segment = EVERYONE,
    convert: bool = False,
) -> list[CohortRow]:
    """Cohorts of the signup months from `start`'s to `end`'s, with the months known by
    `until` (MRR at each month's end; the month of `until` as it stands on it). With
    `convert`, every currency's cohorts combined in `currency`, each revenue cell at the
    rate of its month's last day (`until` for its month)."""
    check_range(start, end)
    if not convert:
        found = _cohorts_of(session, tenant, start, end, until, currency, segment)
    else:
        codes = repository.currencies(session, tenant, until, segment)
        each = {
            code: _cohorts_of(session, tenant, start, end, until, code, segment)
            for code in sorted(set(codes) | {currency})
        }
        factors = {
            (code, month): _factor(session, tenant, code, currency, min(_month_end(month), until))
            for code, month in _months_with_revenue(each)
        }
        found = metric_conversion.combined_cohorts(each, factors, currency)
    first, last = metrics.month_index(start), metrics.month_index(end)
    known = metrics.month_index(until)
    return [
        CohortRow(c, min(metrics.COHORT_MONTHS, known - metrics.month_index(c.month) + 1))
        for c in found
        if first <= metrics.month_index(c.month) <= last
    ]


def _months_with_revenue(each: Mapping[str, Sequence[Cohort]]) -> set[tuple[str, date]]:
    """(currency, month's first day) of every revenue cell above zero."""
    return {
        (code, _first_day(metrics.month_index(c.month) + k))
        for code, found in each.items()
        for c in found
        for k, mrr in enumerate(c.revenue)
        if mrr
    }


def _first_day(month_index: int) -> date:
    return date(month_index // 12, month_index % 12 + 1, 1)


def _cohorts_of(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    until: date,
    currency: str,
    segment: Segment,
) -> list[Cohort]:
    """One currency's cohorts, known by `until`."""
    after = until + timedelta(days=1)
    if not repository.moved_between(session, tenant, currency, after, _month_end(until), segment):
        # `until`'s month holds nothing after it: the monthly totals are the cohorts'.
        signed_up = (start.replace(day=1), end)
        cells = {
            (row.month, row.cohort): _totals(_row(row))
            for row in repository.month_totals(session, tenant, signed_up, until, currency, segment)
        }
        found = metrics.cohorts_from_totals(cells, until)
    else:
        rows = repository.movement_rows(session, tenant, None, until, currency, segment)
        found = metrics.cohorts_of([_movement(r) for r in rows], currency, until)
    return found
