"""The invoice lines of a subscription for a span of time: the lines of its recurring items,
its metered usage, and the proration of a change. Pure: the caller passes every instant.

A recurring item's fee for a whole schedule period is `price(spec, quantity)`; a span that
starts inside a period (a calendar-aligned first period, a change, a cancellation) is that fee
prorated by the second (`proration`), rounded once per line. Usage is priced per charge, one
line per tier the quantity reaches, and always billed in arrears.

Each item and charge has a VAT rate kind and a supply nature, its plan's or add-on's: a
subscription to an e-newspaper is taxed at the reduced rate, a support pack added to it at
the standard one; a box of goods shipped each month to a company in another member state is
an intra-community supply where the software sold with it is reverse charged. The functions
take either one rate for every line or the rate of each class (`Rates`, by `TaxClass`: kind
and nature), and every line says which class its rate is of, so the caller can attach that
class's decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from recura.core.invoicing import LineInput, TaxClass
from recura.core.money import round_fraction
from recura.core.periods import Interval, IntervalUnit, Period
from recura.core.pricing import PriceSpec, price
from recura.core.proration import charge_remaining, credit_unused, remaining_fraction
from recura.core.tax import Nature, RateKind

__all__ = [
    "ENGLISH",
    "Item",
    "Metered",
    "Rates",
    "Wording",
    "change_lines",
    "fee_lines",
    "item_amount",
    "monthly_amount",
    "unused_lines",
    "usage_lines",
]


@dataclass(frozen=True, slots=True)
class Wording:
    """How the lines made here describe themselves, in the customer's language: `{item}` is
    the item's or charge's description, `{tier}` a tier's number."""

    unused: str = "Unused time on {item}"
    remaining: str = "Remaining time on {item}"
    tier: str = "{item} (tier {tier})"
    flat_fee: str = "{item} flat fee"


ENGLISH = Wording()


@dataclass(frozen=True, slots=True)
class Item:
    """A recurring priced item: the plan itself or an add-on. `key` tells items apart
    across a change ("plan", "add_on:addon_…"), so an unchanged item is not prorated."""

    key: str
    description: str
    spec: PriceSpec
    quantity: Decimal
    kind: str = "subscription"
    rate_kind: RateKind = RateKind.STANDARD
    nature: Nature = Nature.ELECTRONIC

    @property
    def tax_class(self) -> TaxClass:
        return (self.rate_kind, self.nature)


@dataclass(frozen=True, slots=True)
class Metered:
    """One metered charge's usage for a period: its description, price and quantity, and
    the rate kind and supply nature of the plan it is charged by."""

    description: str
    spec: PriceSpec
    quantity: Decimal
    rate_kind: RateKind = RateKind.STANDARD
    nature: Nature = Nature.ELECTRONIC

    @property
    def tax_class(self) -> TaxClass:
        return (self.rate_kind, self.nature)


# The VAT rate (percent) of each tax class, or one rate for every class.
Rates = Decimal | Mapping[TaxClass, Decimal]


def _rate(rates: Rates, of: Item | Metered) -> Decimal:
    return rates[of.tax_class] if isinstance(rates, Mapping) else rates


@lru_cache(maxsize=4096)
def item_amount(item: Item) -> int:
    """The item's fee for one whole period, in minor units (cached: a billing run prices the
    same few items thousands of times)."""
    return price(item.spec, item.quantity).total.minor


def _unit(item: Item) -> Decimal | None:
    return item.spec.unit_amount if item.spec.model == "per_unit" else None


def fee_lines(
    items: tuple[Item, ...], span: Period, full: Period, tax_rate: Rates
) -> list[LineInput]:
    """The fee of each item for `span`, a part of the schedule period `full`.

    `span == full` charges the whole fee, exactly; any other span is charged its share of
    the period by the second, rounded once.
    """
    prorated = span != full
    share = _share(span, full) if prorated else Fraction(1)
    return [
        LineInput(
            description=item.description,
            amount=round_fraction(item_amount(item) * share),
            quantity=item.quantity,
            unit_amount=_unit(item),
            kind=item.kind,
            period_start=span.start,
            period_end=span.end,
            proration=prorated,
            tax_rate=_rate(tax_rate, item),
            rate_kind=item.rate_kind,
            nature=item.nature,
        )
        for item in items
    ]


def _share(span: Period, full: Period) -> Fraction:
    if not full.start <= span.start < span.end <= full.end:
        raise ValueError(f"{span} is not inside {full}")
    return remaining_fraction(full.start, full.end, span.start) - remaining_fraction(
        full.start, full.end, span.end
    )


def unused_lines(
    items: tuple[Item, ...],
    period: Period,
    at: datetime,
    tax_rate: Rates,
    wording: Wording = ENGLISH,
) -> list[LineInput]:
    """Credits for the part of `period` after `at` that was paid in advance (zero lines omitted)."""
    lines = []
    for item in items:
        line = credit_unused(
            item_amount(item),
            item.spec.currency,
            period.start,
            period.end,
            at,
            wording.unused.format(item=item.description),
            item.quantity,
        )
        if line.amount:
            lines.append(_proration_line(line.description, line.amount, item, at, period, tax_rate))
    return lines


def change_lines(
    old: tuple[Item, ...],
    new: tuple[Item, ...],
    period: Period,
    at: datetime,
    tax_rate: Rates,
    wording: Wording = ENGLISH,
) -> list[LineInput]:
    """Proration of a change at `at` inside `period`: unused time on each old item credited,
    the rest of the period on each new one charged; an item whose fee did not change is left
    out, so a change to one add-on does not re-bill the plan."""
    before = {item.key: item for item in old}
    after = {item.key: item for item in new}
    lines = []
    for key in [*before, *(k for k in after if k not in before)]:
        was, now = before.get(key), after.get(key)
        if was is not None and now is not None and _same(was, now):
            continue
        if was is not None:
            lines += unused_lines((was,), period, at, tax_rate, wording)
        if now is not None:
            line = charge_remaining(
                item_amount(now),
                now.spec.currency,
                period.start,
                period.end,
                at,
                wording.remaining.format(item=now.description),
                now.quantity,
            )
            if line.amount:
                lines.append(
                    _proration_line(line.description, line.amount, now, at, period, tax_rate)
                )
    return lines


def _same(a: Item, b: Item) -> bool:
    return (a.spec, a.quantity, a.description, a.tax_class) == (
        b.spec,
        b.quantity,
        b.description,
        b.tax_class,
    )


def _proration_line(
    description: str, amount: int, item: Item, at: datetime, period: Period, tax_rate: Rates
) -> LineInput:
    return LineInput(
        description=description,
        amount=amount,
        quantity=item.quantity,
        unit_amount=_unit(item),
        kind=item.kind,
        period_start=at,
        period_end=period.end,
        proration=True,
        tax_rate=_rate(tax_rate, item),
        rate_kind=item.rate_kind,
        nature=item.nature,
    )


def usage_lines(
    metered: tuple[Metered, ...], span: Period, tax_rate: Rates, wording: Wording = ENGLISH
) -> list[LineInput]:
    """Usage of `span`, one line per priced component (tier), zero quantities left out."""
    lines = []
    for charge in metered:
        if charge.quantity == 0:
            continue
        for part in price(charge.spec, charge.quantity).lines:
            description = charge.description
            if part.tier is not None:
                description = wording.tier.format(item=description, tier=part.tier)
            if part.kind == "tier_flat":
                description = wording.flat_fee.format(item=description)
            lines.append(
                LineInput(
                    description=description,
                    amount=part.amount,
                    quantity=part.quantity,
                    unit_amount=part.unit_amount,
                    kind="usage",
                    period_start=span.start,
                    period_end=span.end,
                    tax_rate=_rate(tax_rate, charge),
                    rate_kind=charge.rate_kind,
                    nature=charge.nature,
                )
            )
    return lines


# How many months one interval unit lasts, for monthly recurring revenue (a year has 52
# weeks and 365 days, the convention revenue metrics use).
_MONTHS_PER_UNIT = {
    IntervalUnit.DAY: Fraction(12, 365),
    IntervalUnit.WEEK: Fraction(12, 52),
    IntervalUnit.MONTH: Fraction(1),
    IntervalUnit.YEAR: Fraction(12),
}


def monthly_amount(amount: int, interval: Interval) -> int:
    """`amount` per `interval` expressed per month (MRR), rounded once."""
    return round_fraction(amount / (_MONTHS_PER_UNIT[interval.unit] * interval.count))
