"""Flows and cohorts of several currencies combined in one (`combined_flow`,
`combined_cohorts`): at rate 1 a single currency is unchanged; the combined movements sum
exactly to the combined MRR change, whose ends are each currency's MRR converted and
rounded once; customers are summed."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from recura.core import metric_conversion as conversion
from recura.core import metrics as m
from recura.core.exchange import exact
from recura.core.metrics import Cohort, MetricSettings, MovementType, MrrChange, PeriodFlow
from recura.core.money import Money, round_fraction
from tests.core.test_metrics import CURRENCIES, SETTINGS, histories

START = date(2026, 1, 1)
MONTHS = range(1, 13)
# What one euro is worth in lei, and the other way round, with the National Bank's 4
# decimals (and a few awkward ones).
RATES = st.sampled_from(
    [Fraction(1), Fraction("4.9771"), Fraction("5.0865"), Fraction(1, 3), Fraction("0.2009")]
)


def flows_of(
    changes: list[MrrChange], settings: MetricSettings, offset: int, days: int
) -> dict[str, PeriodFlow]:
    found = m.movements(changes, settings)
    start = START + timedelta(days=offset)
    after = start + timedelta(days=days)
    return {c: m.period_flow(found, c, start, after, settings)[0] for c in CURRENCIES}


@given(histories(), SETTINGS, st.integers(0, 200), st.integers(1, 60))
def test_one_currency_at_rate_one_is_unchanged(
    changes: list[MrrChange], settings: MetricSettings, offset: int, days: int
) -> None:
    for currency, flow in flows_of(changes, settings, offset, days).items():
        assert conversion.combined_flow([(flow, Fraction(1))], currency) == flow


@given(histories(), SETTINGS, st.integers(0, 200), st.integers(1, 60), RATES, RATES)
def test_combined_movements_sum_to_the_combined_mrr_change(
    changes: list[MrrChange],
    settings: MetricSettings,
    offset: int,
    days: int,
    ron_in_eur: Fraction,
    eur_in_eur: Fraction,
) -> None:
    flows = flows_of(changes, settings, offset, days)
    factors = {"RON": ron_in_eur, "EUR": eur_in_eur}
    combined = conversion.combined_flow([(flows[c], factors[c]) for c in CURRENCIES], "EUR")

    def converted(amount: Money) -> int:
        return round_fraction(exact(amount, factors[amount.currency], "EUR"))

    # Each end is what converting each currency's MRR gives (as /v1/metrics/mrr does).
    assert combined.opening == Money(sum(converted(f.opening) for f in flows.values()), "EUR")
    assert combined.closing == Money(sum(converted(f.closing) for f in flows.values()), "EUR")
    assert combined.closing.minor - combined.opening.minor == sum(combined.amounts.values())
    for kind in MovementType:
        whole = sum(exact(f.amount(kind), factors[c], "EUR") for c, f in flows.items())
        # Rounded once per currency: within one minor unit of the exact sum per currency.
        assert abs(combined.amount(kind).minor - whole) < len(flows)
        assert (kind in combined.amounts) == any(kind in f.amounts for f in flows.values())
    assert combined.customers_at_start == sum(f.customers_at_start for f in flows.values())
    assert combined.churned_customers == sum(f.churned_customers for f in flows.values())
    assert combined.new_customers == sum(f.new_customers for f in flows.values())


def test_combined_flow_by_hand() -> None:
    # 100.00 lei and 10.00 euros open; the lei lose 33.33 to contraction and the euros
    # gain 5.00; at 1 EUR = 4.9771 RON in euros: 20.09 + 10.00 open, 13.40 + 15.00 close.
    ron = PeriodFlow(Money(10000, "RON"), {MovementType.CONTRACTION: -3333}, 2, 0, 0)
    eur = PeriodFlow(Money(1000, "EUR"), {MovementType.EXPANSION: 500}, 1, 0, 0)
    combined = conversion.combined_flow([(ron, 1 / Fraction("4.9771")), (eur, Fraction(1))], "EUR")
    assert combined.opening == Money(3009, "EUR")
    assert combined.closing == Money(2840, "EUR")
    assert combined.amounts == {MovementType.EXPANSION: 500, MovementType.CONTRACTION: -669}
    assert combined.customers_at_start == 3
    assert m.gross_revenue_churn(combined) == Fraction(669, 3009)


def test_combined_cohorts_convert_each_month_at_its_rate() -> None:
    ron = [Cohort(date(2026, 1, 1), 2, (2, 1, 0), (10000, 5000, 0))]
    eur = [
        Cohort(date(2026, 1, 1), 1, (1, 1, 1), (1000, 1000, 1000)),
        Cohort(date(2026, 2, 1), 1, (1, 0, 0), (2000, 0, 0)),
    ]
    factors = {
        ("RON", date(2026, 1, 1)): Fraction(1, 5),
        ("RON", date(2026, 2, 1)): Fraction(1, 4),
        ("EUR", date(2026, 1, 1)): Fraction(1),
        ("EUR", date(2026, 2, 1)): Fraction(1),
        ("EUR", date(2026, 3, 1)): Fraction(1),
    }
    # No factor for RON in March: its cell there is 0.
    january, february = conversion.combined_cohorts({"RON": ron, "EUR": eur}, factors, "EUR")
    assert january == Cohort(date(2026, 1, 1), 3, (3, 2, 1), (3000, 2250, 1000))
    assert february == eur[1]


@given(histories(), SETTINGS, st.integers(0, 1700))
def test_one_currencys_cohorts_at_rate_one_are_unchanged(
    changes: list[MrrChange], settings: MetricSettings, offset: int
) -> None:
    found = m.movements(changes, settings)
    until = START + timedelta(days=offset)
    for currency in CURRENCIES:
        cohorts = m.cohorts_of(found, currency, until)
        ones = {(currency, date(y, mo, 1)): Fraction(1) for y in range(2026, 2033) for mo in MONTHS}
        assert conversion.combined_cohorts({currency: cohorts}, ones, currency) == cohorts
