"""Pairing monthly plans with their yearly twins, and the saving a pricing page states."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recura.core.plan_pairs import PlanFacts, pair, stem, yearly_saving

SSO = frozenset({("feat_sso", "true")})
SEATS = frozenset({("feat_seats", "10")})


def plan(id_: str, code: str, interval: str, grants: frozenset[tuple[str, str]] = SSO) -> PlanFacts:
    return PlanFacts(id_, code, interval, grants)


def test_codes_that_differ_by_an_interval_word_are_twins() -> None:
    assert stem("pro-monthly") == stem("pro-annual") == stem("Yearly_Pro") == "pro"
    assert stem("demo-monthly") == stem("demo-annual") == "demo"
    plans = [
        plan("a", "free", "month", frozenset()),
        plan("b", "pro-monthly", "month"),
        plan("c", "pro-annual", "year"),
        plan("d", "team-monthly", "month", SEATS),
        plan("e", "team-yearly", "year", SEATS),
    ]
    ids = [(m and m.id, y and y.id) for m, y in pair(plans)]
    assert ids == [("a", None), ("b", "c"), ("d", "e")]


def test_same_grants_pair_plans_only_when_unambiguous() -> None:
    one = [plan("m", "basic", "month"), plan("y", "basic-plus-year", "year")]
    assert [(m and m.id, y and y.id) for m, y in pair(one)] == [("m", "y")]
    two_monthly = [
        plan("m1", "a", "month"),
        plan("m2", "b", "month"),
        plan("y", "c", "year"),
    ]
    assert [(m and m.id, y and y.id) for m, y in pair(two_monthly)] == [
        ("m1", None),
        ("m2", None),
        (None, "y"),
    ]


def test_a_weekly_plan_stands_alone() -> None:
    assert [(m and m.id, y) for m, y in pair([plan("w", "w", "week")])] == [("w", None)]


def test_ten_months_for_twelve_saves_16_percent() -> None:
    assert yearly_saving(4900, 49000) == 16  # 16.67 %, never rounded up
    assert yearly_saving(4900, 58800) == 0
    assert yearly_saving(4900, 70000) == 0
    assert yearly_saving(0, 0) == 0


@given(st.integers(0, 10**9), st.integers(0, 10**10))
def test_the_saving_is_never_overstated(monthly: int, yearly: int) -> None:
    saving = yearly_saving(monthly, yearly)
    assert 0 <= saving <= 100
    if saving:
        # The stated percent of twelve months is at most what the year really saves.
        assert saving * 12 * monthly <= (12 * monthly - yearly) * 100
