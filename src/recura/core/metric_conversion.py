"""Flows and cohorts of several currencies combined in one reporting currency, at the
stored daily rates (`convert=true` on the ratios): pure; the factors are read by the
caller. A combined flow or cohort list is read by the same `core.metrics` functions as
a single currency's."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from fractions import Fraction

from recura.core.exchange import exact
from recura.core.metrics import (
    MOVEMENT_TYPES,
    Cohort,
    MovementType,
    PeriodFlow,
    month_index,
    month_start,
)
from recura.core.money import Money, round_fraction

__all__ = ["combined_cohorts", "combined_flow"]


def combined_flow(parts: Iterable[tuple[PeriodFlow, Fraction]], currency: str) -> PeriodFlow:
    """Flows of several currencies as one flow in `currency`, for the ratios to read as
    any flow. Each part comes with its factor (what one major unit of its currency is
    worth in `currency`, on the period's last day). A part's opening and closing MRR are
    converted and rounded once; its movement amounts are converted and rounded so that
    they sum exactly to its converted closing minus opening (largest remainder). The
    customers are summed: a customer paying in two currencies counts in each."""
    opening, at_start, churned, new = 0, 0, 0, 0
    amounts: Counter[MovementType] = Counter()
    kinds: set[MovementType] = set()
    for flow, factor in parts:
        start = round_fraction(exact(flow.opening, factor, currency))
        end = round_fraction(exact(flow.closing, factor, currency))
        shares = {t: exact(flow.amount(t), factor, currency) for t in flow.amounts}
        amounts.update(_rounded_to(shares, end - start))
        kinds.update(flow.amounts)
        opening += start
        at_start += flow.customers_at_start
        churned += flow.churned_customers
        new += flow.new_customers
    return PeriodFlow(
        opening=Money(opening, currency),
        amounts={t: amounts[t] for t in MOVEMENT_TYPES if t in kinds},
        customers_at_start=at_start,
        churned_customers=churned,
        new_customers=new,
    )


def _rounded_to(shares: Mapping[MovementType, Fraction], total: int) -> dict[MovementType, int]:
    """Exact shares rounded to integers summing to `total` (within 1 of their sum when
    the ends are not negative): each rounded down, the rest one each to the largest
    remainders, ties in the order of the movement types."""
    found = {t: math.floor(v) for t, v in shares.items()}
    rest = total - sum(found.values())
    order = sorted(shares, key=lambda t: (found[t] - shares[t], MOVEMENT_TYPES.index(t)))
    step = 1 if rest > 0 else -1
    for i in range(abs(rest)):
        # Only a negative opening or closing needs more than one pass or a step down.
        found[(order if step > 0 else order[::-1])[i % len(order)]] += step
    return found


def combined_cohorts(
    parts: Mapping[str, Sequence[Cohort]],
    factors: Mapping[tuple[str, date], Fraction],
    currency: str,
) -> list[Cohort]:
    """Cohorts of several currencies (currency -> its cohorts) as one in `currency`: per
    signup month, the sizes and the customers summed (a customer paying in two
    currencies counts in each), each revenue cell converted at the factor of its
    calendar month ((currency, month's first day) -> factor; a cell of 0 needs none),
    rounded once, and summed."""
    sizes: Counter[date] = Counter()
    customers: dict[date, list[int]] = {}
    revenue: dict[date, list[int]] = {}
    for code, found in parts.items():
        for cohort in found:
            width = len(cohort.customers)
            counts = customers.setdefault(cohort.month, [0] * width)
            money = revenue.setdefault(cohort.month, [0] * width)
            sizes[cohort.month] += cohort.size
            start = month_index(cohort.month)
            for k, (paying, mrr) in enumerate(zip(cohort.customers, cohort.revenue, strict=True)):
                counts[k] += paying
                if mrr:
                    factor = factors[(code, month_start(start + k))]
                    money[k] += round_fraction(exact(Money(mrr, code), factor, currency))
    return [
        Cohort(month, sizes[month], tuple(customers[month]), tuple(revenue[month]))
        for month in sorted(sizes)
    ]
