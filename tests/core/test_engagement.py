"""Engagement figures from activity days, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core import engagement as e

D0 = date(2026, 3, 10)  # a Tuesday
customers = st.sampled_from([f"cus_{n}" for n in range(8)])
days = st.integers(min_value=-60, max_value=5).map(lambda n: D0 + timedelta(days=n))
activity = st.lists(st.tuples(customers, days), max_size=80)


@given(activity, days)
def test_daily_at_most_weekly_at_most_monthly(rows: list[e.ActivityDay], on: date) -> None:
    found = e.active_on(rows, on)
    assert 0 <= found.dau <= found.wau <= found.mau <= len({c for c, _ in rows})
    if found.stickiness is not None:
        assert 0 <= found.stickiness <= 1


@given(activity, st.sampled_from(e.GRANULARITIES))
def test_buckets_cover_the_range_and_count_each_customer_once(
    rows: list[e.ActivityDay], granularity: e.Granularity
) -> None:
    first, last = D0 - timedelta(days=45), D0
    buckets = e.active_customers(rows, first, last, granularity)
    assert buckets[0].start <= first
    assert buckets[-1].end > last
    for earlier, later in pairwise(buckets):
        assert earlier.end == later.start
    for bucket in buckets:
        inside = {c for c, d in rows if bucket.start <= d < bucket.end and first <= d <= last}
        assert bucket.active == len(inside)


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    rows = [("a", date(2026, 3, 1)), ("b", date(2026, 3, 2)), ("a", date(2026, 3, 31))]
    weeks = e.active_customers(rows, date(2026, 3, 1), date(2026, 3, 9), "week")
    assert [(b.start, b.active) for b in weeks] == [
        (date(2026, 2, 23), 1),
        (date(2026, 3, 2), 1),
        (date(2026, 3, 9), 0),
    ]
    months = e.active_customers(rows, date(2026, 2, 1), date(2026, 12, 31), "month")
    assert [b.active for b in months][:3] == [0, 2, 0]
    assert months[-1].end == date(2027, 1, 1)
    assert e.active_customers(rows, D0, D0 - timedelta(days=1), "day") == []


def test_active_on_and_stickiness() -> None:
    rows = [("a", D0), ("a", D0 - timedelta(days=1)), ("b", D0 - timedelta(days=6))]
    rows += [
        ("c", D0 - timedelta(days=29)),
        ("d", D0 - timedelta(days=30)),
        ("e", D0 + timedelta(1)),
    ]
    found = e.active_on(rows, D0)
    assert (found.dau, found.wau, found.mau) == (1, 2, 3)
    assert found.stickiness == Fraction(1, 3)
    assert e.active_on([], D0).stickiness is None


@given(activity)
def test_stickiness_is_a_share(rows: list[e.ActivityDay]) -> None:
    month = [D0 - timedelta(days=n) for n in range(e.MONTH_DAYS)]
    daily = [len({c for c, d in rows if d == day}) for day in month]
    mau = e.active_on(rows, D0).mau
    found = e.stickiness(daily, mau)
    assert (found is None) == (mau == 0)
    assert found is None or 0 <= found <= 1
    assert e.stickiness([2, 1, 0], 3) == Fraction(1, 3)


def test_feature_usage_most_used_first() -> None:
    rows = [("a", "reports", 3), ("b", "reports", 1), ("a", "export", 10), ("a", "", 2)]
    assert e.feature_usage(rows) == [
        e.FeatureUsage("export", 1, 10),
        e.FeatureUsage("reports", 2, 4),
        e.FeatureUsage("", 1, 2),
    ]


@given(st.lists(st.tuples(st.integers(-2, 6), st.integers(-2, 8)), max_size=30))
def test_onboarding_rates_are_shares(progress: list[tuple[int, int]]) -> None:
    found = e.onboarding(progress)
    assert 0 <= found.completed <= found.customers
    assert 0 <= found.steps_done <= found.steps
    for rate in (found.rate, found.step_rate):
        assert rate is None or 0 <= rate <= 1


def test_onboarding_counts_customers_who_did_every_step() -> None:
    found = e.onboarding([(3, 3), (3, 1), (0, 0), (2, 5)])
    assert (found.customers, found.completed, found.steps, found.steps_done) == (3, 2, 8, 6)
    assert found.rate == Fraction(2, 3)


def test_activity_fell_compares_rates_per_week() -> None:
    # 28 active days in 28 (7 a week) against 14 in 14: no fall; 3 in 14 (1.5 a week): fell.
    assert e.activity_fell(14, 28) is None
    fell = e.activity_fell(3, 28)
    assert fell == e.ActivityFell(Fraction(7), Fraction(3, 2))
    # exactly half the rate is not below half
    assert e.activity_fell(7, 28) is None
    assert e.activity_fell(6, 28) is not None
    assert e.activity_fell(0, 0) is None
    # a stricter threshold: any drop of a quarter
    assert e.activity_fell(10, 28, Fraction(1, 4)) is not None


def test_at_risk_lists_every_reason() -> None:
    found = e.at_risk(
        recent={"a": 1, "b": 14},
        before={"a": 20, "b": 28, "c": 10},
        failed_payments={"b": 2, "d": 0},
        cancellations={"a": D0},
    )
    assert [(r.customer, r.score) for r in found] == [("a", 70), ("b", 30), ("c", 20)]
    assert [r.code for r in found[0].reasons] == ["cancellation_scheduled", "activity_fell"]
    assert found[1].reasons == (e.PaymentFailed(2),)
    assert found[0].reasons[0] == e.CancellationScheduled(D0)
    with pytest.raises(ValueError, match="drop"):
        e.at_risk({}, {}, {}, {}, drop=Fraction(0))


counts = st.dictionaries(customers, st.integers(0, 28), max_size=8)


@given(
    counts,
    counts,
    st.dictionaries(customers, st.integers(0, 3), max_size=8),
    st.dictionaries(customers, days, max_size=8),
    st.fractions(min_value=Fraction(1, 10), max_value=1),
)
def test_at_risk_reasons_come_only_from_the_inputs(
    recent: dict[str, int],
    before: dict[str, int],
    failed: dict[str, int],
    cancellations: dict[str, date],
    drop: Fraction,
) -> None:
    found = e.at_risk(recent, before, failed, cancellations, drop)
    assert len({r.customer for r in found}) == len(found)
    for risk in found:
        assert risk.reasons
        assert risk.score == sum(e.WEIGHTS[r.code] for r in risk.reasons)
        for reason in risk.reasons:
            if isinstance(reason, e.CancellationScheduled):
                assert cancellations[risk.customer] == reason.on
            elif isinstance(reason, e.PaymentFailed):
                assert failed[risk.customer] == reason.invoices > 0
            else:
                assert before.get(risk.customer, 0) > 0
                assert reason.recent_per_week < reason.before_per_week * (1 - drop)
    listed = {r.customer for r in found}
    for customer in cancellations:
        assert customer in listed
    for customer, n in failed.items():
        assert (n > 0) <= (customer in listed)
    assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)
