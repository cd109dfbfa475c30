"""Revenue metrics: MRR of a subscription, MRR movements per customer and day, and the
ratios built on them (churn, NRR, GRR, ARPA, LTV, CAC, cohorts). One definition each;
docs/metrics.md lists them with the settings and the industry practice each follows.

Conventions: amounts are `Money` (integer minor units; currencies never mix: every
aggregate is per currency), ratios are exact `Fraction`s, and a ratio whose denominator is
zero is `None` ("not defined"), never 0 or infinity. Tax is never part of MRR.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Final

from recura.core.invoice_lines import monthly_amount
from recura.core.money import Money, round_fraction
from recura.core.periods import Interval, IntervalUnit

__all__ = [
    "ChurnTiming",
    "CustomerState",
    "DayMovements",
    "Discount",
    "DiscountPolicy",
    "MetricSettings",
    "MonthMovement",
    "Movement",
    "MovementType",
    "MrrChange",
    "RecurringTerms",
    "fold",
    "fold_day",
    "month_movements",
    "monthly",
    "movements",
    "subscription_mrr",
]


class DiscountPolicy(StrEnum):
    """Which discounts lower MRR."""

    ALL = "all"  # every discount while it applies (ChartMogul, Stripe Billing)
    FOREVER_ONLY = "forever_only"  # only discounts without an end (a temporary one is CAC)
    NONE = "none"  # list price: what a subscription event's `mrr` holds


class ChurnTiming(StrEnum):
    """When a subscription set to cancel at its period end stops counting."""

    PERIOD_END = "period_end"  # when it ends: it is paid until then (ChartMogul, Stripe)
    CANCELLATION = "cancellation"  # when the customer asks ("scheduled churn")


@dataclass(frozen=True, slots=True)
class MetricSettings:
    """The choices revenue-metric tools disagree on. Tax is always excluded (it is the
    state's money, not revenue), so it is not a setting."""

    discounts: DiscountPolicy = DiscountPolicy.ALL
    churn_timing: ChurnTiming = ChurnTiming.PERIOD_END
    # A customer whose MRR comes back from 0 at most this many days after it went to 0 is
    # a reactivation; later, new business again. None: always a reactivation.
    reactivation_window_days: int | None = None
    # Usage-based charges in MRR (as their last period's amount) or not.
    include_metered: bool = False
    # Share of revenue kept after the cost of serving it, for LTV and payback.
    gross_margin: Fraction = Fraction(1)

    def __post_init__(self) -> None:
        if self.reactivation_window_days is not None and self.reactivation_window_days < 0:
            raise ValueError("reactivation_window_days must be >= 0")
        if not 0 <= self.gross_margin <= 1:
            raise ValueError("gross_margin must be between 0 and 1")


# ---------------------------------------------------------------------------- normalising


def monthly(amount: Money, unit: str, count: int) -> Money:
    """`amount` charged every `count` `unit`s as a monthly amount, rounded once with the
    project's rule (a year is 12 months, 52 weeks, 365 days)."""
    interval = Interval(IntervalUnit(unit), count)
    return Money(monthly_amount(amount.minor, interval), amount.currency)


@dataclass(frozen=True, slots=True)
class Discount:
    """An amount taken off each period, before tax; `forever` when it never ends."""

    amount: Money
    forever: bool


@dataclass(frozen=True, slots=True)
class RecurringTerms:
    """What one subscription bills per period, before tax: its recurring price (plan and
    add-ons), its discounts, and its metered charges' last period."""

    price: Money
    unit: str
    count: int
    discounts: tuple[Discount, ...] = ()
    metered: Money | None = None


def subscription_mrr(terms: RecurringTerms, settings: MetricSettings) -> Money:
    """A paying subscription's MRR: the period's amount under `settings`, per month; never
    below zero (a discount larger than the price leaves nothing, not a negative)."""
    period = terms.price
    for discount in terms.discounts:
        counted = settings.discounts is DiscountPolicy.ALL or (
            settings.discounts is DiscountPolicy.FOREVER_ONLY and discount.forever
        )
        if counted:
            period = period - discount.amount
    if settings.include_metered and terms.metered is not None:
        period = period + terms.metered
    if period.minor < 0:
        period = Money.zero(period.currency)
    return monthly(period, terms.unit, terms.count)


# ------------------------------------------------------------------------------ movements


class MovementType(StrEnum):
    NEW = "new"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    REACTIVATION = "reactivation"


MOVEMENT_TYPES: Final = tuple(MovementType)


@dataclass(frozen=True, slots=True)
class MrrChange:
    """A subscription's MRR changed by `delta` on `day` (an event's `mrr_delta`), or, when
    `mrr` is given, became `mrr` (what its terms come to under the account's settings;
    `delta` is then not read). `ending`: after the change, the subscription is set to
    cancel at its period end."""

    day: date
    customer: str
    subscription: str
    currency: str
    delta: int
    ending: bool = False
    mrr: int | None = None


@dataclass(frozen=True, slots=True)
class Movement:
    """A customer's net MRR change in one currency on one day, and what kind it is."""

    day: date
    customer: str
    currency: str
    type: MovementType
    amount: int


@dataclass(frozen=True, slots=True)
class CustomerState:
    """What classifying a customer's next change needs, in one currency.

    `day` is the day whose movement is still open (more changes that day replace it);
    `opening` the counted MRR at its start, `mrr` now. `earned` and `churned_on` are as of
    the start of `day`. `subscriptions`: id -> (MRR, whether it is counted as ended)."""

    day: date | None = None
    opening: int = 0
    mrr: int = 0
    earned: bool = False
    churned_on: date | None = None
    subscriptions: Mapping[str, tuple[int, bool]] = field(default_factory=dict)


def classify(
    opening: int, closing: int, state: CustomerState, day: date, settings: MetricSettings
) -> MovementType | None:
    """The kind of a day's move from `opening` to `closing` MRR; None when unchanged."""
    if opening == closing:
        return None
    if opening <= 0 < closing:
        if not state.earned:
            return MovementType.NEW
        window = settings.reactivation_window_days
        churned = state.churned_on
        if window is None or churned is None or (day - churned).days <= window:
            return MovementType.REACTIVATION
        return MovementType.NEW
    if closing <= 0 < opening:
        return MovementType.CHURN
    return MovementType.EXPANSION if closing > opening else MovementType.CONTRACTION


def _roll(state: CustomerState, day: date) -> CustomerState:
    """Close the open day: `day` starts from where it ended."""
    if state.day is None or state.day == day:
        return replace(state, day=day)
    if state.day > day:
        # A late change is counted on the open day: a day once closed is never reopened.
        return state
    churned = state.day if state.opening > 0 >= state.mrr else state.churned_on
    earned = state.earned or state.opening > 0 or state.mrr > 0
    return replace(state, day=day, opening=state.mrr, earned=earned, churned_on=churned)


def _after(
    state: CustomerState, change: MrrChange, settings: MetricSettings
) -> tuple[tuple[int, bool], tuple[int, bool]]:
    """The subscription's (MRR, counted as ended) in `state`, and after `change`."""
    before, was_ended = state.subscriptions.get(change.subscription, (0, False))
    after = before + change.delta if change.mrr is None else change.mrr
    ended = change.ending and settings.churn_timing is ChurnTiming.CANCELLATION
    return (before, was_ended), (after, ended)


def _moves(state: CustomerState, change: MrrChange, settings: MetricSettings) -> bool:
    """Whether `change` changes anything of `state`'s subscription (a subscription not in
    it has no MRR: it ended, or never had any)."""
    then, now = _after(state, change, settings)
    return then != now and not (then[0] == 0 and now[0] == 0)


def fold(
    state: CustomerState, change: MrrChange, settings: MetricSettings
) -> tuple[CustomerState, Movement | None]:
    """`state` after `change`, and the customer's movement of the open day as it stands
    now (it replaces the one an earlier change of that day gave; None: no movement)."""
    state = _roll(state, change.day)
    day = state.day
    assert day is not None
    (before, was_ended), (after, ended) = _after(state, change, settings)
    counted = (0 if ended else after) - (0 if was_ended else before)
    subscriptions = {**state.subscriptions, change.subscription: (after, ended)}
    if after == 0:
        del subscriptions[change.subscription]
    state = replace(state, mrr=state.mrr + counted, subscriptions=subscriptions)
    kind = classify(state.opening, state.mrr, state, day, settings)
    if kind is None:
        return state, None
    return state, Movement(day, change.customer, change.currency, kind, state.mrr - state.opening)


Key = tuple[str, str]  # (customer, currency)


def fold_day(
    states: Mapping[Key, CustomerState],
    changes: Iterable[MrrChange],
    settings: MetricSettings,
) -> tuple[dict[Key, CustomerState], dict[tuple[date, str, str], Movement | None]]:
    """Fold `changes` (in the order they happened) into `states`: the new states of the
    customers they touch, and each (day, customer, currency)'s movement as it now stands
    (None: that day nets to no movement, so a row stored for it goes)."""
    touched: dict[Key, CustomerState] = {}
    found: dict[tuple[date, str, str], Movement | None] = {}
    for change in changes:
        key = (change.customer, change.currency)
        state = touched.get(key) or states.get(key) or CustomerState()
        if not _moves(state, change, settings):
            # Most renewals leave their subscription's MRR as it was: the customer is not
            # touched at all (its open day stays open), which keeps a renewal pass's fold
            # from rereading every renewed customer's history.
            continue
        state, movement = fold(state, change, settings)
        touched[key] = state
        assert state.day is not None
        found[(state.day, change.customer, change.currency)] = movement
    return touched, found


def scoped_changes(
    changes: Iterable[tuple[MrrChange, Collection[str] | None]],
    holding: Mapping[Key, Mapping[str, CustomerState]],
) -> list[tuple[str, MrrChange]]:
    """`changes` as they change each scope's customers (a scope: a plan, or a product):
    a customer's MRR in a scope is that of its subscriptions of it, and each scope's
    changes are folded apart (`fold_day`), so a plan's movements are those its customers
    would have with only their subscriptions of that plan.

    Each change comes with the scopes its subscription is in after it (None: where it was).
    `holding`: (customer, currency) -> scope -> its state, where each subscription with
    MRR is found. A subscription that leaves a scope (its plan changed) drops to nothing
    there (churn or contraction) and enters the new one (new, reactivation or
    expansion); a switch between two plans of one product is then an expansion or a
    contraction of the product. Returns (scope, change) in the order of `changes`."""
    where: dict[tuple[str, str, str], dict[str, int]] = {}
    for (customer, currency), scopes in holding.items():
        for scope, state in scopes.items():
            for subscription, (mrr, _) in state.subscriptions.items():
                where.setdefault((customer, currency, subscription), {})[scope] = mrr
    found: list[tuple[str, MrrChange]] = []
    for change, targets in changes:
        key = (change.customer, change.currency, change.subscription)
        now = where.get(key, {})
        into = set(now) if targets is None else set(targets)
        # The subscription's MRR is the same in each scope it is in.
        before = max(now.values(), default=0)
        after = before + change.delta if change.mrr is None else change.mrr
        found.extend(
            (scope, replace(change, mrr=0, ending=False)) for scope in sorted(set(now) - into)
        )
        found.extend((scope, replace(change, mrr=after)) for scope in sorted(into))
        where[key] = dict.fromkeys(into, after) if after else {}
    return found


def movements(changes: Iterable[MrrChange], settings: MetricSettings) -> list[Movement]:
    """Every movement of `changes` from nothing: the full recomputation."""
    _, found = fold_day({}, changes, settings)
    return [m for _, m in sorted(found.items(), key=lambda kv: kv[0]) if m is not None]


@dataclass(frozen=True, slots=True)
class DayMovements:
    """One day's (or period's) movements in one currency: amount and customers per type."""

    currency: str
    amounts: Mapping[MovementType, int]
    customers: Mapping[MovementType, int]

    @property
    def net(self) -> int:
        return sum(self.amounts.values())


def totals(found: Iterable[Movement]) -> dict[tuple[date, str], DayMovements]:
    """Movements summed per (day, currency)."""
    amounts: dict[tuple[date, str], Counter[MovementType]] = defaultdict(Counter)
    counts: dict[tuple[date, str], Counter[MovementType]] = defaultdict(Counter)
    for m in found:
        amounts[(m.day, m.currency)][m.type] += m.amount
        counts[(m.day, m.currency)][m.type] += 1
    return {key: DayMovements(key[1], dict(amounts[key]), dict(counts[key])) for key in amounts}


# ----------------------------------------------------------------------------- the ratios


def ratio(part: int, whole: int) -> Fraction | None:
    """part / whole, or None when there is no whole to compare with."""
    return None if whole == 0 else Fraction(part, whole)


def arr(mrr: Money) -> Money:
    """Annual run rate: MRR * 12."""
    return mrr * 12


def by_status(statuses: Iterable[str]) -> dict[str, int]:
    """Subscriptions counted per status."""
    return dict(Counter(statuses))


@dataclass(frozen=True, slots=True)
class PeriodFlow:
    """One currency's MRR over a period: at its start, its movements, and customers."""

    opening: Money
    amounts: Mapping[MovementType, int]
    customers_at_start: int
    churned_customers: int
    new_customers: int

    def amount(self, kind: MovementType) -> Money:
        return Money(self.amounts.get(kind, 0), self.opening.currency)

    @property
    def closing(self) -> Money:
        return Money(self.opening.minor + sum(self.amounts.values()), self.opening.currency)


@dataclass(frozen=True, slots=True)
class Standing:
    """A customer's standing at a period's start, from its movements before it: its MRR,
    and the last day it churned (for the reactivation window)."""

    mrr: int
    churned_on: date | None = None


def standings(found: Iterable[Movement], currency: str, before: date) -> dict[str, Standing]:
    """Each customer's standing at `before` (its first day) from its movements, in one
    currency; a customer with no movement before it is left out (it never paid)."""
    mrr: dict[str, int] = defaultdict(int)
    churned_on: dict[str, date] = {}
    for m in found:
        if m.currency != currency or m.day >= before:
            continue
        mrr[m.customer] += m.amount
        if m.type is MovementType.CHURN:
            churned_on[m.customer] = max(m.day, churned_on.get(m.customer, m.day))
    return {c: Standing(v, churned_on.get(c)) for c, v in mrr.items()}


def flow_of(
    opening: Money,
    customers_at_start: int,
    before: Mapping[str, Standing],
    moved: Iterable[Movement],
    settings: MetricSettings,
) -> tuple[PeriodFlow, list[Movement]]:
    """One currency's flow over a period from what it needs: the MRR and paying customers
    at its start, the standing of the customers who moved, and their day movements within
    it. Each customer is netted over the period (one movement, dated its last change): a
    customer who grew then left counts as churn of what it had at the start, so churn never
    exceeds the opening MRR. Also returns those per-customer movements."""
    currency = opening.currency
    total: dict[str, int] = defaultdict(int)
    last: dict[str, date] = {}
    for m in moved:
        if m.currency != currency:
            continue
        total[m.customer] += m.amount
        last[m.customer] = max(m.day, last.get(m.customer, m.day))
    netted = []
    for customer in sorted(total):
        standing = before.get(customer)
        start = standing.mrr if standing else 0
        state = CustomerState(
            earned=standing is not None, churned_on=standing.churned_on if standing else None
        )
        kind = classify(start, start + total[customer], state, last[customer], settings)
        if kind is not None:
            netted.append(Movement(last[customer], customer, currency, kind, total[customer]))
    amounts: Counter[MovementType] = Counter()
    for m in netted:
        amounts[m.type] += m.amount
    flow = PeriodFlow(
        opening=opening,
        amounts=dict(amounts),
        customers_at_start=customers_at_start,
        churned_customers=sum(1 for m in netted if m.type is MovementType.CHURN),
        new_customers=sum(1 for m in netted if m.type is MovementType.NEW),
    )
    return flow, netted


def period_flow(
    found: Iterable[Movement], currency: str, start: date, end: date, settings: MetricSettings
) -> tuple[PeriodFlow, list[Movement]]:
    """One currency's flow over [start, end) from the day movements up to `end` (the
    definition; `flow_of` computes it from the rollups' pieces)."""
    found = [m for m in found if m.currency == currency and m.day < end]
    before = standings(found, currency, start)
    flow, netted = flow_of(
        Money(sum(s.mrr for s in before.values()), currency),
        sum(1 for s in before.values() if s.mrr > 0),
        before,
        [m for m in found if m.day >= start],
        settings,
    )
    return flow, netted


@dataclass(frozen=True, slots=True)
class MonthMovement:
    """A customer's movements of one calendar month netted as `flow_of` nets them over
    that month (`type` None: they net to nothing), with its cohort (the month of its first
    movement). `joined`: this month is its cohort's, so it counts in the cohort's size even
    when the month nets to nothing. Summed per month and cohort, these give each month's
    flow and each cohort's rows without reading customers one by one."""

    month: date
    customer: str
    currency: str
    cohort: date
    type: MovementType | None
    amount: int

    @property
    def joined(self) -> bool:
        return self.month == self.cohort


def month_movements(found: Iterable[Movement], settings: MetricSettings) -> list[MonthMovement]:
    """Each customer's movements netted per calendar month (per currency): a row for every
    month that nets to a movement, and for the month it joined."""
    by_customer: dict[tuple[str, str], list[Movement]] = defaultdict(list)
    for m in found:
        by_customer[(m.customer, m.currency)].append(m)
    rows = []
    for (customer, currency), mine in sorted(by_customer.items()):
        mine.sort(key=lambda m: m.day)
        cohort = mine[0].day.replace(day=1)
        running, earned, churned_on = 0, False, None
        months: dict[date, list[Movement]] = defaultdict(list)
        for m in mine:
            months[m.day.replace(day=1)].append(m)
        for month in sorted(months):
            inside = months[month]
            total = sum(m.amount for m in inside)
            last = max(m.day for m in inside)
            state = CustomerState(earned=earned, churned_on=churned_on)
            kind = classify(running, running + total, state, last, settings)
            if kind is not None or month == cohort:
                amount = total if kind is not None else 0
                rows.append(MonthMovement(month, customer, currency, cohort, kind, amount))
            running += total
            earned = True
            churn_days = [m.day for m in inside if m.type is MovementType.CHURN]
            if churn_days:
                churned_on = max(churn_days)
    return rows


@dataclass(frozen=True, slots=True)
class MonthTotals:
    """Month movements summed (of one month, cohort and currency): amount and customers
    per type, and how many customers joined."""

    amounts: Mapping[MovementType, int]
    customers: Mapping[MovementType, int]
    joined: int = 0

    @property
    def net(self) -> int:
        return sum(self.amounts.values())

    @property
    def paying(self) -> int:
        """How many more customers pay at the month's end than at its start."""
        started = self.customers.get(MovementType.NEW, 0)
        started += self.customers.get(MovementType.REACTIVATION, 0)
        return started - self.customers.get(MovementType.CHURN, 0)


def month_totals(rows: Iterable[MonthMovement]) -> dict[tuple[date, date, str], MonthTotals]:
    """Month movements summed per (month, cohort, currency)."""
    amounts: dict[tuple[date, date, str], Counter[MovementType]] = defaultdict(Counter)
    counts: dict[tuple[date, date, str], Counter[MovementType]] = defaultdict(Counter)
    joined: Counter[tuple[date, date, str]] = Counter()
    for row in rows:
        key = (row.month, row.cohort, row.currency)
        _ = amounts[key], counts[key]  # a joined month that nets to nothing has totals too
        if row.type is not None:
            amounts[key][row.type] += row.amount
            counts[key][row.type] += 1
        joined[key] += row.joined
    return {key: MonthTotals(dict(amounts[key]), dict(counts[key]), joined[key]) for key in amounts}


def month_flow(opening: Money, customers_at_start: int, found: Iterable[MonthTotals]) -> PeriodFlow:
    """A calendar month's flow from its totals (every cohort's), the MRR and paying
    customers at its start: what `flow_of` gives for that month. A day's totals give the
    day's flow the same way (each customer's day movement is already netted)."""
    amounts: Counter[MovementType] = Counter()
    counts: Counter[MovementType] = Counter()
    for totals in found:
        amounts.update(totals.amounts)
        counts.update(totals.customers)
    return PeriodFlow(
        opening=opening,
        amounts={t: amounts[t] for t in MOVEMENT_TYPES if counts[t] > 0},
        customers_at_start=customers_at_start,
        churned_customers=counts[MovementType.CHURN],
        new_customers=counts[MovementType.NEW],
    )


def logo_churn_rate(flow: PeriodFlow) -> Fraction | None:
    """Customers lost in the period ÷ customers paying at its start."""
    return ratio(flow.churned_customers, flow.customers_at_start)


def _lost(flow: PeriodFlow) -> int:
    return -(
        flow.amounts.get(MovementType.CHURN, 0) + flow.amounts.get(MovementType.CONTRACTION, 0)
    )


def gross_revenue_churn(flow: PeriodFlow) -> Fraction | None:
    """(churned + contraction MRR) ÷ opening MRR."""
    return ratio(_lost(flow), flow.opening.minor)


def net_revenue_churn(flow: PeriodFlow) -> Fraction | None:
    """(churned + contraction - expansion - reactivation MRR) ÷ opening MRR (ChartMogul's
    net MRR churn; negative when existing customers grow more than they shrink)."""
    regained = flow.amounts.get(MovementType.EXPANSION, 0) + flow.amounts.get(
        MovementType.REACTIVATION, 0
    )
    return ratio(_lost(flow) - regained, flow.opening.minor)


def nrr(flow: PeriodFlow) -> Fraction | None:
    """Net revenue retention: (opening + expansion - contraction - churn) ÷ opening; new
    business and reactivations are not the opening customers' revenue."""
    kept = flow.opening.minor + flow.amounts.get(MovementType.EXPANSION, 0) - _lost(flow)
    return ratio(kept, flow.opening.minor)


def grr(flow: PeriodFlow) -> Fraction | None:
    """Gross revenue retention: (opening - contraction - churn) ÷ opening; at most 1."""
    return ratio(flow.opening.minor - _lost(flow), flow.opening.minor)


def arpa(mrr: Money, paying_customers: int) -> Money | None:
    """Average revenue per account: MRR ÷ paying customers, rounded once."""
    if paying_customers == 0:
        return None
    return Money(round_fraction(Fraction(mrr.minor, paying_customers)), mrr.currency)


def ltv(arpa_: Money | None, churn_rate: Fraction | None, settings: MetricSettings) -> Money | None:
    """Lifetime value: ARPA * gross margin ÷ monthly logo churn rate. Not defined (None)
    without customers or without churn: a lifetime that never ends has no finite value."""
    if arpa_ is None or churn_rate is None or churn_rate == 0:
        return None
    return Money(round_fraction(arpa_.minor * settings.gross_margin / churn_rate), arpa_.currency)


def cac(spend: Money, new_customers: int) -> Money | None:
    """Customer acquisition cost: spend ÷ customers it brought (None without any)."""
    if new_customers == 0:
        return None
    return Money(round_fraction(Fraction(spend.minor, new_customers)), spend.currency)


def cac_by_channel(
    spend: Mapping[str, Money], acquired: Mapping[str, str]
) -> dict[str, Money | None]:
    """CAC per channel: each channel's spend ÷ the customers (customer -> channel) it
    brought in the same month. A channel with customers but no spend is left out."""
    return cac_of_channels(spend, Counter(acquired.values()))


def cac_of_channels(
    spend: Mapping[str, Money], brought: Mapping[str, int]
) -> dict[str, Money | None]:
    """`cac_by_channel` from how many customers each channel brought."""
    return {channel: cac(amount, brought.get(channel, 0)) for channel, amount in spend.items()}


def payback_months(
    cac_: Money | None, arpa_: Money | None, settings: MetricSettings
) -> Fraction | None:
    """Months of gross margin a customer takes to repay its CAC: CAC ÷ (ARPA * margin)."""
    if cac_ is None or arpa_ is None:
        return None
    earned = arpa_.minor * settings.gross_margin
    if earned == 0:
        return None
    _same(cac_, arpa_)
    return Fraction(cac_.minor) / earned


def ltv_to_cac(ltv_: Money | None, cac_: Money | None) -> Fraction | None:
    """LTV ÷ CAC (None when either is not defined or CAC is 0)."""
    if ltv_ is None or cac_ is None or cac_.minor == 0:
        return None
    _same(ltv_, cac_)
    return Fraction(ltv_.minor, cac_.minor)


def _same(a: Money, b: Money) -> None:
    # Comparing raises CurrencyMismatchError across currencies, as arithmetic does.
    _ = a <= b


def trial_conversion(trials_ended: int, converted: int) -> Fraction | None:
    """Trials that became paying ÷ trials that ended in the period."""
    return ratio(converted, trials_ended)


def dunning_recovery(entered: int, recovered: int) -> Fraction | None:
    """Subscriptions whose failed payment was recovered ÷ those that entered dunning."""
    return ratio(recovered, entered)


class ChurnKind(StrEnum):
    VOLUNTARY = "voluntary"  # the customer canceled
    INVOLUNTARY = "involuntary"  # payment failed until retries ran out


def churn_split(churns: Iterable[ChurnKind]) -> dict[ChurnKind, int]:
    """Churned customers per kind (both kinds always present)."""
    counted = Counter(churns)
    return {kind: counted[kind] for kind in ChurnKind}


# ------------------------------------------------------------------------------- cohorts

COHORT_MONTHS: Final = 24


@dataclass(frozen=True, slots=True)
class Cohort:
    """Customers who first paid in `month` (its first day) in one currency: how many of
    them paid, and their MRR, k months later (k = 0 … months - 1)."""

    month: date
    size: int
    customers: tuple[int, ...]
    revenue: tuple[int, ...]


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    """The first day of the month `month_index` numbers."""
    return date(index // 12, index % 12 + 1, 1)


def cohorts(
    signups: Mapping[str, date],
    mrr: Mapping[tuple[str, date], int],
    months: int = COHORT_MONTHS,
) -> list[Cohort]:
    """Logo and revenue retention by signup month. `signups`: customer -> the month it
    first paid; `mrr`: (customer, month's first day) -> its MRR at that month's end, in one
    currency. A customer counts as retained in a month when its MRR is above zero."""
    groups: dict[int, list[str]] = defaultdict(list)
    for customer, day in signups.items():
        groups[month_index(day)].append(customer)
    found = []
    for start in sorted(groups):
        members = groups[start]
        counts, revenue = [], []
        for k in range(months):
            month = month_start(start + k)
            values = [mrr.get((customer, month), 0) for customer in members]
            counts.append(sum(1 for v in values if v > 0))
            revenue.append(sum(values))
        found.append(Cohort(month_start(start), len(members), tuple(counts), tuple(revenue)))
    return found


def cohorts_from_totals(
    found: Mapping[tuple[date, date], MonthTotals], until: date, months: int = COHORT_MONTHS
) -> list[Cohort]:
    """`cohorts_of` from the month totals of one currency ((month, cohort) -> totals) with
    no movement after `until` in its month: a cohort's MRR and paying customers at a
    month's end are its totals summed up to that month."""
    last = month_index(until)
    by_cohort: dict[int, dict[int, MonthTotals]] = defaultdict(dict)
    for (month, cohort), totals in found.items():
        if month_index(month) <= last:
            by_cohort[month_index(cohort)][month_index(month)] = totals
    cohorts_found = []
    for start in sorted(by_cohort):
        cells = by_cohort[start]
        size = cells[start].joined if start in cells else 0
        if size == 0:
            continue
        counts, revenue = [], []
        paying, mrr = 0, 0
        for index in range(start, start + months):
            if index > last:
                counts.append(0)
                revenue.append(0)
                continue
            cell = cells.get(index)
            if cell is not None:
                paying += cell.paying
                mrr += cell.net
            counts.append(paying)
            revenue.append(mrr)
        cohorts_found.append(Cohort(month_start(start), size, tuple(counts), tuple(revenue)))
    return cohorts_found


def cohort_totals(
    found: Sequence[Cohort], months: int = COHORT_MONTHS
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Customers and revenue at each month offset, summed over the cohorts."""
    customers = tuple(sum(c.customers[k] for c in found) for k in range(months))
    revenue = tuple(sum(c.revenue[k] for c in found) for k in range(months))
    return customers, revenue


def month_end_mrr(found: Iterable[Movement], currency: str) -> dict[tuple[str, date], int]:
    """(customer, month's first day) -> the customer's MRR at that month's end, for every
    month from its first movement to its last (a month with no movement carries the MRR
    of the month before), in one currency."""
    by_customer: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for m in found:
        if m.currency == currency:
            by_customer[m.customer][month_index(m.day)] += m.amount
    found_mrr: dict[tuple[str, date], int] = {}
    for customer, months in by_customer.items():
        running = 0
        for index in range(min(months), max(months) + 1):
            running += months.get(index, 0)
            found_mrr[(customer, month_start(index))] = running
    return found_mrr


def cohorts_of(
    found: Sequence[Movement], currency: str, until: date, months: int = COHORT_MONTHS
) -> list[Cohort]:
    """Cohorts from the day movements (up to `until`, in one currency): a customer's
    signup month is its first movement's (a first movement is always new business); its
    MRR in a later month is its MRR at that month's end, carried past its last movement."""
    mine = [m for m in found if m.currency == currency and m.day <= until]
    signups: dict[str, date] = {}
    for m in sorted(mine, key=lambda m: m.day):
        signups.setdefault(m.customer, m.day.replace(day=1))
    ends = month_end_mrr(mine, currency)
    last = month_index(until)
    latest: dict[str, tuple[int, int]] = {}
    for (customer, month), value in ends.items():
        index = month_index(month)
        if index >= latest.get(customer, (-1, 0))[0]:
            latest[customer] = (index, value)
    # Carry each customer's last known MRR to `until`, so a customer who stopped moving
    # still counts in the months after.
    filled = dict(ends)
    for customer, (index, value) in latest.items():
        for k in range(index + 1, last + 1):
            filled[(customer, month_start(k))] = value
    return cohorts(signups, filled, months)
