"""How a pricing page shows a plan billed monthly next to its yearly twin, and what the
year saves.

Two plans of one product are twins when one is billed every month and the other every year
and either their codes differ only by an interval word (`pro-monthly` / `pro-annual`) or,
failing that, they grant exactly the same features and no other plan of the product does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# An interval word as a whole part of a code: `pro-monthly`, `annual_pro`, not `demo`.
_INTERVAL_WORDS = re.compile(
    r"(^|[-_.])(monthly|month|mo|annual|annually|yearly|year|yr)(?=[-_.]|$)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class PlanFacts:
    id: str
    code: str
    # "month" (every month), "year" (every year) or anything else (shown alone).
    interval: str
    # What the plan grants, comparable between plans: (feature id, value) pairs.
    grants: frozenset[tuple[str, str]]


def stem(code: str) -> str:
    return _INTERVAL_WORDS.sub("", code).strip("-_.").lower()


def pair(plans: Sequence[PlanFacts]) -> list[tuple[PlanFacts | None, PlanFacts | None]]:
    """(monthly, yearly) offers in the plans' order; a plan without a twin stands alone as
    (plan, None) or (None, plan), and plans on other intervals as (plan, None)."""
    monthly = [p for p in plans if p.interval == "month"]
    yearly = [p for p in plans if p.interval == "year"]
    twin: dict[str, str] = {}
    for m in monthly:
        found = [y for y in yearly if y.id not in twin.values() and stem(y.code) == stem(m.code)]
        if len(found) == 1:
            twin[m.id] = found[0].id
    for m in monthly:
        if m.id in twin:
            continue
        same = [y for y in yearly if y.id not in twin.values() and y.grants == m.grants]
        rivals = [o for o in monthly if o.id not in twin and o.grants == m.grants]
        if len(same) == 1 and len(rivals) == 1:
            twin[m.id] = same[0].id
    by_id = {p.id: p for p in plans}
    taken = set(twin.values())
    offers: list[tuple[PlanFacts | None, PlanFacts | None]] = []
    for plan in plans:
        if plan.id in taken:
            continue
        if plan.id in twin:
            offers.append((plan, by_id[twin[plan.id]]))
        elif plan.interval == "year":
            offers.append((None, plan))
        else:
            offers.append((plan, None))
    return offers


def yearly_saving(monthly: int, yearly: int) -> int:
    """Whole percent a year of the yearly price saves on twelve monthly ones, rounded down
    (never promising more than it is); 0 when it saves nothing."""
    twelve = 12 * monthly
    if twelve <= 0 or yearly >= twelve:
        return 0
    return (twelve - yearly) * 100 // twelve
