"""The ratios as the rollups feed them: a period's flow from the daily totals and the
movers' standings equals the definition over the whole history; cohorts built from the
day movements add up, per calendar month, to that month's MRR."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from recura.core import metrics as m
from recura.core.metrics import MetricSettings, MovementType, MrrChange
from recura.core.money import Money
from tests.core.test_metrics import CURRENCIES, D0, SETTINGS, histories


@given(histories(), SETTINGS, st.integers(0, 150), st.integers(1, 90))
def test_a_flow_from_the_rollups_pieces_equals_the_definition(
    changes: list[MrrChange], settings: MetricSettings, start: int, length: int
) -> None:
    found = m.movements(changes, settings)
    first = D0 + timedelta(days=start)
    end = first + timedelta(days=length)
    for currency in CURRENCIES:
        expected = m.period_flow(found, currency, first, end, settings)
        # What the reads have: daily totals (net and customers starting or stopping to
        # pay) before the period, and the standing of each customer who moved in it.
        mine = [x for x in found if x.currency == currency]
        before = [x for x in mine if x.day < first]
        opening = sum(x.amount for x in before)
        starts = (MovementType.NEW, MovementType.REACTIVATION)
        paying = sum(
            1 if x.type in starts else -1 if x.type is MovementType.CHURN else 0 for x in before
        )
        moved = [x for x in mine if first <= x.day < end]
        movers = {x.customer for x in moved}
        standings = {c: s for c, s in m.standings(mine, currency, first).items() if c in movers}
        assert m.flow_of(Money(opening, currency), paying, standings, moved, settings) == expected


def _month(k: int) -> date:
    return date(2026 + k // 12, k % 12 + 1, 1)


@given(histories(), SETTINGS)
def test_cohort_cells_of_a_calendar_month_add_up_to_its_mrr(
    changes: list[MrrChange], settings: MetricSettings
) -> None:
    found = m.movements(changes, settings)
    until = D0 + timedelta(days=400)
    for currency in CURRENCIES:
        table = m.cohorts_of(found, currency, until, months=24)
        paid_by_then = {x.customer for x in found if x.currency == currency and x.day <= until}
        assert sum(c.size for c in table) == len(paid_by_then)
        start = m.month_index(D0)
        for k in range(m.month_index(until) - start + 1):
            month_end = min(_month(k + 1) - timedelta(days=1), until)
            mrr_then = sum(x.amount for x in found if x.currency == currency and x.day <= month_end)
            cells = 0
            for c in table:
                offset = k + start - m.month_index(c.month)
                if 0 <= offset < 24:
                    cells += c.revenue[offset]
            # Every paying customer has a cohort; only months past the 24th fall out.
            older = sum(1 for c in table if k + start - m.month_index(c.month) >= 24)
            if older == 0:
                assert cells == mrr_then


def test_cohorts_from_movements_by_hand() -> None:
    """Ana pays 30 from January, grows to 60 in March and leaves in May; Bogdan pays 50
    from February. Ana's cohort (January) keeps 1, 1, 1, 1, 0 customers and 30, 30, 60, 60,
    0 revenue; Bogdan's (February) 1 customer and 50 each month, carried past his last
    movement."""
    x = m.Movement
    t = MovementType
    found = [
        x(date(2026, 1, 5), "ana", "RON", t.NEW, 30),
        x(date(2026, 2, 3), "bogdan", "RON", t.NEW, 50),
        x(date(2026, 3, 9), "ana", "RON", t.EXPANSION, 30),
        x(date(2026, 5, 2), "ana", "RON", t.CHURN, -60),
    ]
    table = m.cohorts_of(found, "RON", date(2026, 6, 30), months=6)
    ana, bogdan = table
    assert (ana.month, ana.size) == (date(2026, 1, 1), 1)
    assert ana.customers == (1, 1, 1, 1, 0, 0)
    assert ana.revenue == (30, 30, 60, 60, 0, 0)
    assert bogdan.revenue[:5] == (50, 50, 50, 50, 50)
    ends = m.month_end_mrr(found, "RON")
    assert ends[("ana", date(2026, 4, 1))] == 60
    assert defaultdict(int, ends)[("bogdan", date(2026, 1, 1))] == 0
