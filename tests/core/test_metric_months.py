"""The month rollups against the definition: each customer's movements netted per calendar
month and summed per month and cohort give every month's flow (`period_flow`) and every
cohort (`cohorts_of`) exactly, for any history and settings."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from recura.core import metrics as m
from recura.core.metrics import MetricSettings, Movement, MrrChange
from recura.core.money import Money
from tests.core.test_metrics import CURRENCIES, SETTINGS, histories


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _months(found: list[Movement]) -> list[date]:
    if not found:
        return []
    first, last = min(x.day for x in found), max(x.day for x in found)
    months, cursor = [], first.replace(day=1)
    while cursor <= _month_after(last):
        months.append(cursor)
        cursor = _month_after(cursor)
    return months


@given(histories(), SETTINGS)
def test_month_totals_give_each_months_flow(
    changes: list[MrrChange], settings: MetricSettings
) -> None:
    found = m.movements(changes, settings)
    totals = m.month_totals(m.month_movements(found, settings))
    for currency in CURRENCIES:
        for month in _months(found):
            after = _month_after(month)
            expected, _ = m.period_flow(found, currency, month, after, settings)
            before = m.standings(found, currency, month)
            flow = m.month_flow(
                Money(sum(s.mrr for s in before.values()), currency),
                sum(1 for s in before.values() if s.mrr > 0),
                [t for (mo, _, c), t in totals.items() if mo == month and c == currency],
            )
            assert flow == expected


@given(histories(), SETTINGS, st.integers(0, 1700))
def test_month_totals_give_the_cohorts(
    changes: list[MrrChange], settings: MetricSettings, offset: int
) -> None:
    found = m.movements(changes, settings)
    until = date(2026, 1, 1) + timedelta(days=offset)
    # Cohorts are read from the totals when nothing moved later in `until`'s month.
    found = [x for x in found if x.day <= until or x.day >= _month_after(until)]
    totals = m.month_totals(m.month_movements(found, settings))
    for currency in CURRENCIES:
        mine = {(mo, co): t for (mo, co, c), t in totals.items() if c == currency}
        assert m.cohorts_from_totals(mine, until) == m.cohorts_of(found, currency, until)
