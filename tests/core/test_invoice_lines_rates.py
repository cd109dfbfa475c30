"""Each line takes the VAT rate of its item's rate kind: a plan at the reduced rate and an
add-on at the standard one on one invoice, and one rate for all when the caller gives one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from recura.core.invoice_lines import Item, Metered, change_lines, fee_lines, usage_lines
from recura.core.periods import Period
from recura.core.pricing import PriceSpec
from recura.core.tax import Nature, RateKind

APRIL = Period(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
MID = datetime(2026, 4, 16, tzinfo=UTC)
RATES = {
    (RateKind.STANDARD, Nature.ELECTRONIC): Decimal(21),
    (RateKind.REDUCED, Nature.ELECTRONIC): Decimal(11),
    (RateKind.REDUCED_LOWER, Nature.ELECTRONIC): Decimal(11),
}
GAZETA = Item(
    "plan",
    "Gazeta",
    PriceSpec("flat", "RON", amount=3000),
    Decimal(1),
    "subscription",
    RateKind.REDUCED,
)
EVENTS = Item("add_on:ev", "Events", PriceSpec("flat", "RON", amount=1000), Decimal(1), "add_on")


def taxes(lines: list) -> list[tuple[int, Decimal, RateKind]]:
    return [(line.amount, line.tax_rate, line.rate_kind) for line in lines]


def test_fees_take_their_items_rates() -> None:
    assert taxes(fee_lines((GAZETA, EVENTS), APRIL, APRIL, RATES)) == [
        (3000, Decimal(11), RateKind.REDUCED),
        (1000, Decimal(21), RateKind.STANDARD),
    ]
    # One rate given: every line at it, as before kinds existed.
    assert [line.tax_rate for line in fee_lines((GAZETA, EVENTS), APRIL, APRIL, Decimal(19))] == [
        Decimal(19),
        Decimal(19),
    ]


def test_a_change_of_kind_alone_is_prorated_at_each_kinds_rate() -> None:
    standard = replace(GAZETA, rate_kind=RateKind.STANDARD)
    assert taxes(change_lines((standard, EVENTS), (GAZETA, EVENTS), APRIL, MID, RATES)) == [
        (-1500, Decimal(21), RateKind.STANDARD),
        (1500, Decimal(11), RateKind.REDUCED),
    ]


def test_usage_takes_its_plans_rate() -> None:
    used = (
        Metered(
            "Articles",
            PriceSpec("per_unit", "RON", unit_amount=Decimal(10)),
            Decimal(5),
            RateKind.REDUCED,
        ),
    )
    assert taxes(usage_lines(used, APRIL, RATES)) == [(50, Decimal(11), RateKind.REDUCED)]
