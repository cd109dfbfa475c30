"""Revenue metrics: hand-computed examples of every movement and setting, and properties
(movements sum to the MRR change per currency, folding in pieces equals recomputing,
churn rates stay within [0, 1], cohort cells sum to their totals)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core import metrics as m
from recura.core.metrics import (
    ChurnTiming,
    CustomerState,
    Discount,
    DiscountPolicy,
    MetricSettings,
    Movement,
    MovementType,
    MrrChange,
    RecurringTerms,
)
from recura.core.money import CurrencyMismatchError, Money

D0 = date(2026, 1, 1)
RON = "RON"


def ch(
    day: int,
    delta: int,
    customer: str = "c1",
    sub: str = "s1",
    *,
    currency: str = RON,
    ending: bool = False,
) -> MrrChange:
    return MrrChange(D0 + timedelta(days=day), customer, sub, currency, delta, ending)


def kinds(found: list[Movement]) -> list[tuple[int, MovementType, int]]:
    return [((x.day - D0).days, x.type, x.amount) for x in found]


# ------------------------------------------------------------------ normalising


@pytest.mark.parametrize(
    ("amount", "unit", "count", "monthly"),
    [
        (4900, "month", 1, 4900),
        (12000, "year", 1, 1000),
        (10000, "month", 3, 3333),  # 33.333… rounds down
        (10001, "month", 2, 5001),  # 50.005 rounds half away from zero
        (1000, "week", 1, 4333),  # 1000 * 52 / 12 = 4333.33…
        (100, "day", 1, 3042),  # 100 * 365 / 12 = 3041.66…
    ],
)
def test_monthly_normalises_with_one_rounding(
    amount: int, unit: str, count: int, monthly: int
) -> None:
    assert m.monthly(Money(amount, RON), unit, count) == Money(monthly, RON)


def test_monthly_keeps_zero_decimal_currencies() -> None:
    assert m.monthly(Money(10000, "JPY"), "year", 1) == Money(833, "JPY")


TERMS = RecurringTerms(
    price=Money(10000, RON),
    unit="month",
    count=1,
    discounts=(Discount(Money(1000, RON), forever=True), Discount(Money(2000, RON), forever=False)),
    metered=Money(500, RON),
)


@pytest.mark.parametrize(
    ("policy", "metered", "mrr"),
    [
        (DiscountPolicy.ALL, False, 7000),
        (DiscountPolicy.FOREVER_ONLY, False, 9000),
        (DiscountPolicy.NONE, False, 10000),
        (DiscountPolicy.ALL, True, 7500),
        (DiscountPolicy.NONE, True, 10500),
    ],
)
def test_subscription_mrr_follows_the_discount_and_metered_settings(
    policy: DiscountPolicy, metered: bool, mrr: int
) -> None:
    settings = MetricSettings(discounts=policy, include_metered=metered)
    assert m.subscription_mrr(TERMS, settings) == Money(mrr, RON)


def test_subscription_mrr_of_a_yearly_discounted_plan_is_never_negative() -> None:
    yearly = RecurringTerms(Money(120000, RON), "year", 1, (Discount(Money(24000, RON), True),))
    assert m.subscription_mrr(yearly, MetricSettings()) == Money(8000, RON)
    free = RecurringTerms(Money(1000, RON), "month", 1, (Discount(Money(5000, RON), True),))
    assert m.subscription_mrr(free, MetricSettings()) == Money(0, RON)


@given(
    st.integers(0, 10**7),
    st.sampled_from(["day", "week", "month", "year"]),
    st.integers(1, 12),
    st.lists(st.tuples(st.integers(0, 10**6), st.booleans()), max_size=3),
    st.none() | st.integers(0, 10**6),
)
def test_subscription_mrr_orders_the_settings(
    price: int, unit: str, count: int, discounts: list[tuple[int, bool]], metered: int | None
) -> None:
    # Every discount lowers MRR at least as far as the forever ones alone, which lower it
    # at least as far as none; list price without usage is the price per month.
    terms = RecurringTerms(
        Money(price, RON),
        unit,
        count,
        tuple(Discount(Money(a, RON), f) for a, f in discounts),
        None if metered is None else Money(metered, RON),
    )

    def mrr(policy: DiscountPolicy, usage: bool = False) -> int:
        settings = MetricSettings(discounts=policy, include_metered=usage)
        return m.subscription_mrr(terms, settings).minor

    assert 0 <= mrr(DiscountPolicy.ALL) <= mrr(DiscountPolicy.FOREVER_ONLY)
    assert mrr(DiscountPolicy.FOREVER_ONLY) <= mrr(DiscountPolicy.NONE)
    assert mrr(DiscountPolicy.NONE) == m.monthly(Money(price, RON), unit, count).minor
    for policy in DiscountPolicy:
        assert mrr(policy) <= mrr(policy, usage=True)
    if not discounts:
        assert mrr(DiscountPolicy.ALL) == mrr(DiscountPolicy.NONE)


def test_subscription_mrr_refuses_a_discount_in_another_currency() -> None:
    terms = RecurringTerms(Money(1000, RON), "month", 1, (Discount(Money(100, "EUR"), True),))
    with pytest.raises(CurrencyMismatchError):
        m.subscription_mrr(terms, MetricSettings())


def test_settings_refuse_impossible_values() -> None:
    with pytest.raises(ValueError, match="window"):
        MetricSettings(reactivation_window_days=-1)
    with pytest.raises(ValueError, match="margin"):
        MetricSettings(gross_margin=Fraction(3, 2))


# -------------------------------------------------------------------- movements

DEFAULT = MetricSettings()


def test_every_movement_type_by_hand() -> None:
    changes = [
        ch(0, 4900),  # new
        ch(10, 5000),  # upgrade 49 -> 99: expansion
        ch(20, -2000),  # downgrade to 79: contraction
        ch(30, -7900),  # cancel: churn
        ch(40, 4900),  # back: reactivation
    ]
    assert kinds(m.movements(changes, DEFAULT)) == [
        (0, MovementType.NEW, 4900),
        (10, MovementType.EXPANSION, 5000),
        (20, MovementType.CONTRACTION, -2000),
        (30, MovementType.CHURN, -7900),
        (40, MovementType.REACTIVATION, 4900),
    ]


def test_changes_of_one_day_net_to_one_movement() -> None:
    # A customer who starts and upgrades the same day is new with the upgraded amount; one
    # who starts and leaves the same day never moved.
    changes = [ch(0, 4900), ch(0, 5000), ch(0, 1, customer="c2"), ch(0, -1, customer="c2")]
    assert kinds(m.movements(changes, DEFAULT)) == [(0, MovementType.NEW, 9900)]


def test_a_second_subscription_is_expansion_and_losing_one_of_two_is_contraction() -> None:
    changes = [ch(0, 1000), ch(5, 2000, sub="s2"), ch(9, -1000)]
    assert kinds(m.movements(changes, DEFAULT)) == [
        (0, MovementType.NEW, 1000),
        (5, MovementType.EXPANSION, 2000),
        (9, MovementType.CONTRACTION, -1000),
    ]


def test_currencies_are_separate_customers_books() -> None:
    changes = [ch(0, 1000), ch(1, 900, sub="s2", currency="EUR"), ch(2, -1000)]
    found = m.movements(changes, DEFAULT)
    assert [(x.currency, x.type, x.amount) for x in found] == [
        (RON, MovementType.NEW, 1000),
        ("EUR", MovementType.NEW, 900),
        (RON, MovementType.CHURN, -1000),
    ]


@pytest.mark.parametrize(
    ("window", "gap", "kind"),
    [
        (None, 400, MovementType.REACTIVATION),  # always a reactivation
        (30, 30, MovementType.REACTIVATION),  # back on the window's last day
        (30, 31, MovementType.NEW),  # a day later: new business again
        (0, 0, None),  # same day: the churn and the return net out
    ],
)
def test_reactivation_window(window: int | None, gap: int, kind: MovementType | None) -> None:
    settings = MetricSettings(reactivation_window_days=window)
    found = m.movements([ch(0, 1000), ch(10, -1000), ch(10 + gap, 1000)], settings)
    assert [x.type for x in found][2:] == ([kind] if kind else [])


def test_churn_at_period_end_counts_when_the_subscription_ends() -> None:
    changes = [ch(0, 4900), ch(12, 0, ending=True), ch(31, -4900, ending=True)]
    assert kinds(m.movements(changes, DEFAULT)) == [
        (0, MovementType.NEW, 4900),
        (31, MovementType.CHURN, -4900),
    ]


def test_churn_at_cancellation_counts_when_the_customer_asks() -> None:
    settings = MetricSettings(churn_timing=ChurnTiming.CANCELLATION)
    changes = [ch(0, 4900), ch(12, 0, ending=True), ch(31, -4900, ending=True)]
    assert kinds(m.movements(changes, settings)) == [
        (0, MovementType.NEW, 4900),
        (12, MovementType.CHURN, -4900),
    ]


def test_a_withdrawn_cancellation_comes_back_as_a_reactivation() -> None:
    settings = MetricSettings(churn_timing=ChurnTiming.CANCELLATION)
    changes = [ch(0, 4900), ch(12, 0, ending=True), ch(20, 0, ending=False)]
    assert kinds(m.movements(changes, settings)) == [
        (0, MovementType.NEW, 4900),
        (12, MovementType.CHURN, -4900),
        (20, MovementType.REACTIVATION, 4900),
    ]
    assert kinds(m.movements(changes, DEFAULT)) == [(0, MovementType.NEW, 4900)]


def test_a_late_change_is_counted_on_the_open_day() -> None:
    state, _ = m.fold(CustomerState(), ch(5, 1000), DEFAULT)
    state, moved = m.fold(state, ch(3, 500), DEFAULT)
    assert moved == Movement(D0 + timedelta(days=5), "c1", RON, MovementType.NEW, 1500)


# ----------------------------------------------------------------------- ratios


def flow(opening: int, customers: int, churned: int = 0, **amounts: int) -> m.PeriodFlow:
    return m.PeriodFlow(
        Money(opening, RON),
        {MovementType(k): v for k, v in amounts.items()},
        customers,
        churned,
        0,
    )


def test_churn_and_retention_by_hand() -> None:
    f = flow(100000, 40, 2, churn=-5000, contraction=-3000, expansion=6000, new=9000)
    assert m.logo_churn_rate(f) == Fraction(2, 40)
    assert m.gross_revenue_churn(f) == Fraction(8000, 100000)
    assert m.net_revenue_churn(f) == Fraction(2000, 100000)
    assert m.nrr(f) == Fraction(98000, 100000)
    assert m.grr(f) == Fraction(92000, 100000)
    assert f.closing == Money(107000, RON)
    assert m.arr(Money(107000, RON)) == Money(1284000, RON)


def test_ratios_over_nothing_are_not_defined() -> None:
    empty = flow(0, 0)
    assert m.logo_churn_rate(empty) is None
    assert m.gross_revenue_churn(empty) is None
    assert m.nrr(empty) is None
    assert m.arpa(Money(0, RON), 0) is None


def test_arpa_ltv_cac_payback_by_hand() -> None:
    settings = MetricSettings(gross_margin=Fraction(4, 5))
    arpa = m.arpa(Money(100000, RON), 30)
    assert arpa == Money(3333, RON)
    ltv = m.ltv(arpa, Fraction(1, 20), settings)
    assert ltv == Money(53328, RON)  # 3333 * 0.8 * 20
    cac = m.cac(Money(60000, RON), 4)
    assert cac == Money(15000, RON)
    assert m.payback_months(cac, arpa, settings) == Fraction(15000) / Fraction(3333 * 4, 5)
    assert m.ltv_to_cac(ltv, cac) == Fraction(53328, 15000)


def test_ltv_without_churn_is_not_defined() -> None:
    assert m.ltv(Money(3333, RON), Fraction(0), DEFAULT) is None
    assert m.ltv(Money(3333, RON), None, DEFAULT) is None


def test_gross_margin_scales_ltv() -> None:
    half = MetricSettings(gross_margin=Fraction(1, 2))
    assert m.ltv(Money(1000, RON), Fraction(1, 10), DEFAULT) == Money(10000, RON)
    assert m.ltv(Money(1000, RON), Fraction(1, 10), half) == Money(5000, RON)


def test_cac_by_channel_and_mixed_currencies() -> None:
    spend = {"ads": Money(50000, RON), "events": Money(10000, RON), "seo": Money(1, RON)}
    acquired = {"c1": "ads", "c2": "ads", "c3": "events", "c4": "referral"}
    assert m.cac_by_channel(spend, acquired) == {
        "ads": Money(25000, RON),
        "events": Money(10000, RON),
        "seo": None,
    }
    with pytest.raises(CurrencyMismatchError):
        m.ltv_to_cac(Money(1000, "EUR"), Money(100, RON))
    with pytest.raises(CurrencyMismatchError):
        m.payback_months(Money(1000, "EUR"), Money(100, RON), DEFAULT)


def test_counts_and_conversion_rates() -> None:
    assert m.by_status(["active", "active", "trialing"]) == {"active": 2, "trialing": 1}
    assert m.trial_conversion(10, 4) == Fraction(2, 5)
    assert m.trial_conversion(0, 0) is None
    assert m.dunning_recovery(8, 6) == Fraction(3, 4)
    kinds_ = [m.ChurnKind.VOLUNTARY, m.ChurnKind.INVOLUNTARY, m.ChurnKind.VOLUNTARY]
    assert m.churn_split(kinds_) == {m.ChurnKind.VOLUNTARY: 2, m.ChurnKind.INVOLUNTARY: 1}
    assert m.churn_split([]) == {m.ChurnKind.VOLUNTARY: 0, m.ChurnKind.INVOLUNTARY: 0}


def test_period_flow_nets_each_customer_over_the_period() -> None:
    # c1 pays 100, grows to 1000 and leaves within February: it churned the 100 it had.
    changes = [ch(0, 100), ch(35, 900), ch(40, -1000), ch(36, 500, customer="c2")]
    found = m.movements(sorted(changes, key=lambda c: c.day), DEFAULT)
    f, netted = m.period_flow(found, RON, date(2026, 2, 1), date(2026, 3, 1), DEFAULT)
    assert f.opening == Money(100, RON)
    assert f.amounts == {MovementType.CHURN: -100, MovementType.NEW: 500}
    assert (f.customers_at_start, f.churned_customers, f.new_customers) == (1, 1, 1)
    assert m.gross_revenue_churn(f) == 1
    assert [x.customer for x in netted] == ["c1", "c2"]


def test_cohorts_by_hand() -> None:
    signups = {"a": date(2026, 1, 1), "b": date(2026, 1, 1), "c": date(2026, 2, 1)}
    mrr = {
        ("a", date(2026, 1, 1)): 100,
        ("b", date(2026, 1, 1)): 200,
        ("a", date(2026, 2, 1)): 150,
        ("c", date(2026, 2, 1)): 300,
        ("c", date(2026, 3, 1)): 300,
    }
    jan, feb = m.cohorts(signups, mrr, months=3)
    assert (jan.size, jan.customers, jan.revenue) == (2, (2, 1, 0), (300, 150, 0))
    assert (feb.size, feb.customers, feb.revenue) == (1, (1, 1, 0), (300, 300, 0))
    assert m.cohort_totals([jan, feb], months=3) == ((3, 2, 0), (600, 450, 0))
    assert len(m.cohorts(signups, mrr)[0].revenue) == 24


# ------------------------------------------------------------------- properties

CUSTOMERS = ["c1", "c2", "c3"]
CURRENCIES = ["RON", "EUR"]


@st.composite
def histories(draw: st.DrawFn) -> list[MrrChange]:
    """Valid change sequences: each subscription's MRR stays >= 0, days never go back."""
    subs = [
        (f"s{i}", draw(st.sampled_from(CUSTOMERS)), draw(st.sampled_from(CURRENCIES)))
        for i in range(4)
    ]
    mrr = dict.fromkeys([s for s, _, _ in subs], 0)
    day = 0
    changes = []
    for _ in range(draw(st.integers(0, 40))):
        day += draw(st.sampled_from([0, 0, 1, 3, 40]))
        sub, customer, currency = draw(st.sampled_from(subs))
        after = draw(st.sampled_from([0, 0, 500, 1000, 4900, 9900]))
        ending = after > 0 and draw(st.booleans())
        changes.append(ch(day, after - mrr[sub], customer, sub, currency=currency, ending=ending))
        mrr[sub] = after
    return changes


SETTINGS = st.builds(
    MetricSettings,
    churn_timing=st.sampled_from(list(ChurnTiming)),
    reactivation_window_days=st.sampled_from([None, 0, 5, 60]),
)


@given(histories(), SETTINGS)
def test_movements_sum_to_the_mrr_change_per_currency(
    changes: list[MrrChange], settings: MetricSettings
) -> None:
    states, _ = m.fold_day({}, changes, settings)
    moved: dict[str, int] = defaultdict(int)
    for x in m.movements(changes, settings):
        moved[x.currency] += x.amount
        assert x.amount != 0
        assert (x.amount > 0) == (
            x.type in {MovementType.NEW, MovementType.EXPANSION, MovementType.REACTIVATION}
        )
    counted: dict[str, int] = defaultdict(int)
    for (_, currency), state in states.items():
        counted[currency] += state.mrr
    assert {c: v for c, v in moved.items() if v} == {c: v for c, v in counted.items() if v}
    if settings.churn_timing is ChurnTiming.PERIOD_END:
        deltas: dict[str, int] = defaultdict(int)
        for c in changes:
            deltas[c.currency] += c.delta
        assert {c: v for c, v in moved.items() if v} == {c: v for c, v in deltas.items() if v}


@given(histories(), SETTINGS, st.lists(st.booleans(), max_size=40))
def test_a_change_stating_its_mrr_folds_as_its_delta(
    changes: list[MrrChange], settings: MetricSettings, stated: list[bool]
) -> None:
    # An event with MRR terms gives the subscription's MRR, an older one its change: a log
    # mixing both folds to the same movements as deltas alone.
    mrr: dict[str, int] = defaultdict(int)
    mixed = []
    for change, given_mrr in zip(changes, [*stated, *[False] * len(changes)], strict=False):
        mrr[change.subscription] += change.delta
        after = mrr[change.subscription]
        mixed.append(replace(change, delta=-1, mrr=after) if given_mrr else change)
    assert m.movements(mixed, settings) == m.movements(changes, settings)


def test_a_renewal_keeping_its_mrr_touches_no_customer() -> None:
    # A renewal pass renews most subscriptions at the MRR they had: the fold must not
    # touch (and so reread the history of) every renewed customer.
    settings = MetricSettings()
    states, _ = m.fold_day({}, [ch(0, 4900), ch(3, 2000, sub="s2")], settings)
    renewals = [replace(ch(31, 0), mrr=4900), replace(ch(33, 0, sub="s2"), mrr=2000)]
    assert m.fold_day(states, renewals, settings) == ({}, {})
    # A renewal that does move it (a coupon ended) is folded as before.
    touched, found = m.fold_day(states, [replace(ch(31, 0), mrr=5900)], settings)
    assert touched[("c1", RON)].mrr == 7900
    assert found == {
        (D0 + timedelta(days=31), "c1", RON): Movement(
            D0 + timedelta(days=31), "c1", RON, MovementType.EXPANSION, 1000
        )
    }


@given(histories(), SETTINGS, st.lists(st.integers(0, 40), max_size=8))
def test_renewals_keeping_their_mrr_change_no_movement(
    changes: list[MrrChange], settings: MetricSettings, at: list[int]
) -> None:
    # Renewals stating the MRR a subscription already has, anywhere in the log, move
    # nothing: the same movements, the same final states.
    mrr: dict[str, int] = defaultdict(int)
    mixed: list[MrrChange] = []
    for index, change in enumerate(changes):
        mixed.append(change)
        mrr[change.subscription] += change.delta
        if index in at:
            mixed.append(replace(change, delta=0, mrr=mrr[change.subscription]))
    assert m.movements(mixed, settings) == m.movements(changes, settings)
    assert m.fold_day({}, mixed, settings)[0] == m.fold_day({}, changes, settings)[0]


@given(histories(), SETTINGS, st.lists(st.integers(0, 40), max_size=6))
def test_folding_in_pieces_equals_recomputing(
    changes: list[MrrChange], settings: MetricSettings, cuts: list[int]
) -> None:
    # The worker folds whatever events a batch holds: a day may be split between batches.
    states: dict[tuple[str, str], CustomerState] = {}
    rows: dict[tuple[date, str, str], Movement] = {}
    bounds = sorted({0, len(changes), *(c for c in cuts if c < len(changes))})
    for lo, hi in itertools.pairwise(bounds):
        touched, found = m.fold_day(states, changes[lo:hi], settings)
        states |= touched
        for key, movement in found.items():
            if movement is None:
                rows.pop(key, None)
            else:
                rows[key] = movement
    assert [rows[k] for k in sorted(rows)] == m.movements(changes, settings)
    totals = m.totals(m.movements(changes, settings))
    assert totals == m.totals(rows.values())


@given(histories(), SETTINGS, st.integers(0, 120), st.integers(1, 90))
def test_churn_rates_are_within_zero_and_one(
    changes: list[MrrChange], settings: MetricSettings, start: int, length: int
) -> None:
    found = m.movements(changes, settings)
    begin = D0 + timedelta(days=start)
    for currency in CURRENCIES:
        f, netted = m.period_flow(found, currency, begin, begin + timedelta(days=length), settings)
        for rate in (m.logo_churn_rate(f), m.gross_revenue_churn(f), m.grr(f)):
            assert rate is None or 0 <= rate <= 1
        nrr = m.nrr(f)
        assert nrr is None or nrr >= 0
        assert sum(x.amount for x in netted) == f.closing.minor - f.opening.minor


@given(
    st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 5)),
    st.dictionaries(
        st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 9)), st.integers(0, 5000)
    ),
)
def test_cohort_cells_sum_to_their_totals(
    signup: dict[str, int], paid: dict[tuple[str, int], int]
) -> None:
    def month(k: int) -> date:
        return date(2026 + k // 12, k % 12 + 1, 1)

    signups = {c: month(k) for c, k in signup.items()}
    mrr = {(c, month(k)): v for (c, k), v in paid.items() if c in signup and k >= signup[c]}
    found = m.cohorts(signups, mrr, months=12)
    customers, revenue = m.cohort_totals(found, months=12)
    assert sum(c.size for c in found) == len(signups)
    for k in range(12):
        assert revenue[k] == sum(mrr.get((c, month(signup[c] + k)), 0) for c in signups)
        assert customers[k] == sum(1 for c in signups if mrr.get((c, month(signup[c] + k)), 0) > 0)
    # Read by calendar month instead: the cells of that month add up to its MRR.
    first = m.month_index(date(2026, 1, 1))
    for calendar in range(10):
        cells = sum(
            c.revenue[calendar - (m.month_index(c.month) - first)]
            for c in found
            if m.month_index(c.month) - first <= calendar
        )
        assert cells == sum(v for (_, k), v in mrr.items() if k == month(calendar))


PRODUCT_OF = {"p1": "A", "p2": "A", "p3": "B"}


@given(histories(), SETTINGS, st.lists(st.sampled_from(sorted(PRODUCT_OF)), max_size=40))
def test_plans_and_products_split_each_customers_mrr(
    changes: list[MrrChange], settings: MetricSettings, plans: list[str]
) -> None:
    # Each change puts its subscription on a plan: folded apart, the plans' MRR add up
    # to the customer's, and so do the products', at every step; and a scope's movements
    # sum to its MRR.
    on = [(c, (p, PRODUCT_OF[p])) for c, p in zip(changes, [*plans, *["p1"] * 40], strict=False)]
    every, _ = m.fold_day({}, changes, settings)
    scoped: dict[str, list[MrrChange]] = defaultdict(list)
    for scope, change in m.scoped_changes(on, {}):
        scoped[scope].append(change)
    mrr_in: dict[str, dict[tuple[str, str], int]] = {}
    for scope, found in scoped.items():
        states, _ = m.fold_day({}, found, settings)
        mrr_in[scope] = {key: s.mrr for key, s in states.items()}
        net: dict[tuple[str, str], int] = defaultdict(int)
        for x in m.movements(found, settings):
            net[(x.customer, x.currency)] += x.amount
        assert {k: v for k, v in net.items() if v} == {k: v for k, v in mrr_in[scope].items() if v}
    for names in (sorted(PRODUCT_OF), sorted(set(PRODUCT_OF.values()))):
        summed: dict[tuple[str, str], int] = defaultdict(int)
        for scope in names:
            for key, value in mrr_in.get(scope, {}).items():
                summed[key] += value
        assert {k: v for k, v in summed.items() if v} == {
            k: s.mrr for k, s in every.items() if s.mrr
        }
