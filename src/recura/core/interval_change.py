"""Moving a subscription to another billing interval (monthly to yearly and back): when the
new interval starts, where its periods are anchored, and the invoice of a switch made now.

Policy (as Stripe Billing and Chargebee do it)
----------------------------------------------
* A change of interval restarts the billing cycle at the instant it takes effect: the new
  schedule is anchored there (`schedule_for`: at that instant for anniversary billing, on
  the calendar grid for calendar billing), and its first period starts there. Periods of
  the old interval and of the new one never overlap nor leave a gap.
* A switch made now credits the unused part of the current period at the old price (the
  same `unused_lines` every proration uses) and charges the new interval's first period
  in full (`fee_lines`: prorated only when calendar billing makes it a partial period).
  So the invoice's subtotal is exactly the new period's price minus the credit.
* A longer commitment (monthly to yearly) applies now by default; a shorter one (yearly to
  monthly) waits for the end of the paid period, when nothing is left to credit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction

from recura.core.invoice_lines import ENGLISH, Item, Rates, Wording, fee_lines, unused_lines
from recura.core.invoicing import LineInput
from recura.core.lifecycle import SubscriptionState
from recura.core.periods import (
    BillingAlignment,
    Interval,
    IntervalUnit,
    Period,
    Schedule,
    first_period,
    schedule_for,
)

__all__ = [
    "Restart",
    "changes_interval",
    "discount_periods_after",
    "longer",
    "restart",
    "restarted_state",
    "switch_lines",
    "switch_parts",
]

# Months in one unit, to compare commitments (only the order matters, not the exact length).
_MONTHS = {
    IntervalUnit.DAY: Fraction(12, 365),
    IntervalUnit.WEEK: Fraction(12, 52),
    IntervalUnit.MONTH: Fraction(1),
    IntervalUnit.YEAR: Fraction(12),
}


def _months(interval: Interval) -> Fraction:
    return _MONTHS[interval.unit] * interval.count


def changes_interval(old: Interval, new: Interval) -> bool:
    """Whether moving from `old` to `new` bills on another cycle (every 12 months is a year:
    the same cycle, but it is still a different schedule, so it restarts too)."""
    return (old.unit, old.count) != (new.unit, new.count)


def longer(old: Interval, new: Interval) -> bool:
    """Whether `new` commits the subscriber for longer than `old` (monthly to yearly)."""
    return _months(new) > _months(old)


@dataclass(frozen=True, slots=True)
class Restart:
    """The cycle an interval change starts at `at`: its schedule (the stored anchor is
    `schedule.anchor`) and its first period, which starts at `at`."""

    schedule: Schedule
    first: Period

    @property
    def full(self) -> Period:
        """The whole schedule period the first one is part of (itself, for anniversary)."""
        return self.schedule.period_at(self.first.start)[1]


def restart(at: datetime, interval: Interval, zone: str, alignment: BillingAlignment) -> Restart:
    """The new cycle of a subscription moved to `interval` at `at`."""
    return Restart(
        schedule_for(at, interval, zone, alignment), first_period(at, interval, zone, alignment)
    )


def switch_parts(
    old_items: tuple[Item, ...],
    new_items: tuple[Item, ...],
    current: Period,
    at: datetime,
    cycle: Restart,
    credit_rate: Rates,
    charge_rate: Rates,
    wording: Wording = ENGLISH,
) -> tuple[list[LineInput], list[LineInput]]:
    """The invoice lines of switching now, in two parts: the unused part of `current` (paid
    in advance on the old items) credited at the rate it was charged at, and the new cycle's
    first period charged on the new items at the rate of its own start.

    `at` must lie in [current.start, current.end]; the credit is empty at its end.
    """
    if not current.start <= at <= current.end:
        raise ValueError(f"{at.isoformat()} is outside the current period {current}")
    if cycle.first.start != at:
        raise ValueError("the new cycle must start at the instant of the switch")
    credit = unused_lines(old_items, current, at, credit_rate, wording) if at < current.end else []
    return credit, fee_lines(new_items, cycle.first, cycle.full, charge_rate)


def switch_lines(
    old_items: tuple[Item, ...],
    new_items: tuple[Item, ...],
    current: Period,
    at: datetime,
    cycle: Restart,
    tax_rate: Rates,
    wording: Wording = ENGLISH,
) -> list[LineInput]:
    """`switch_parts` as one list, both parts at the same rates."""
    credit, charge = switch_parts(
        old_items, new_items, current, at, cycle, tax_rate, tax_rate, wording
    )
    return credit + charge


def discount_periods_after(periods_left: int, old: Interval, new: Interval) -> int:
    """A repeating discount's periods left, counted in the new interval: the whole new
    periods the time it had left covers (one year left becomes twelve months; up to eleven
    months left become no year). Counted as they were, two months left would discount two
    whole years; rounded up, one month left would discount a year."""
    return math.floor(periods_left * _months(old) / _months(new))


def restarted_state(state: SubscriptionState, cycle: Restart) -> SubscriptionState:
    """`state` with its current period replaced by the new cycle's first period."""
    return replace(
        state, current_period_start=cycle.first.start, current_period_end=cycle.first.end
    )
