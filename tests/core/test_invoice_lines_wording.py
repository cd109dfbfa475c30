"""Core words the lines it makes as the caller's `Wording` says: the domain passes the
customer's language, and the default is English."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from recura.core.invoice_lines import Item, Metered, Wording, change_lines, usage_lines
from recura.core.periods import Period
from recura.core.pricing import PriceSpec, Tier

APRIL = Period(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
MID = datetime(2026, 4, 16, tzinfo=UTC)
RATE = Decimal(21)
BRACKETS = Wording(
    unused="[unused {item}]",
    remaining="[remaining {item}]",
    tier="[{item} #{tier}]",
    flat_fee="[{item} flat]",
)


def item(name: str, amount: int) -> Item:
    return Item(name, name, PriceSpec("flat", "RON", amount=amount), Decimal(1))


def test_change_lines_take_the_callers_words() -> None:
    old, new = (item("Basic {x}", 3000),), (item("Pro", 6000),)
    assert [
        (line.description, line.amount) for line in change_lines(old, new, APRIL, MID, RATE)
    ] == [
        ("Unused time on Basic {x}", -1500),  # braces in a name are text, not a placeholder
        ("Remaining time on Pro", 3000),
    ]
    worded = change_lines(old, new, APRIL, MID, RATE, BRACKETS)
    assert [line.description for line in worded] == ["[unused Basic {x}]", "[remaining Pro]"]


def test_usage_tiers_take_the_callers_words() -> None:
    spec = PriceSpec(
        "tiered_graduated",
        "RON",
        tiers=(Tier(Decimal(10), Decimal(100), 500), Tier(None, Decimal(50))),
    )
    metered = (Metered("API calls", spec, Decimal(15)),)
    assert [line.description for line in usage_lines(metered, APRIL, RATE)] == [
        "API calls (tier 1)",
        "API calls (tier 1) flat fee",
        "API calls (tier 2)",
    ]
    assert [line.description for line in usage_lines(metered, APRIL, RATE, BRACKETS)] == [
        "[API calls #1]",
        "[[API calls #1] flat]",
        "[API calls #2]",
    ]
