"""Invoice lines are worded in the language the customer reads, like every other text, and
keep the language they were issued in.

April has 30 days, so a change on the 16th at 00:00 UTC leaves exactly half of the period.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import Api
from tests.scenarios.world import World, line_amounts

APR_1 = datetime(2026, 4, 1, tzinfo=UTC)
APR_16 = datetime(2026, 4, 16, tzinfo=UTC)


def upgrade(world: World, **customer: Any) -> tuple[str, list[tuple[str, int]]]:
    """A mid-period upgrade from Basic to Pro: the subscription and the upgrade's lines."""
    basic, pro = world.plan(3000, name="Basic"), world.plan(6000, name="Pro")
    sub = world.subscribe(world.customer(**customer), basic)["id"]
    world.advance_to(APR_16)
    world.act(sub, "change", plan=pro)
    return sub, line_amounts(world.invoices(sub)[1])


ROMANIAN = [("Timp neutilizat din Basic", -1500), ("Timp rămas din Pro", 3000)]
ENGLISH = [("Unused time on Basic", -1500), ("Remaining time on Pro", 3000)]


@pytest.mark.parametrize(
    ("locale", "fallback", "lines"),
    [
        ("ro", "en", ROMANIAN),
        ("ro-MD", "en", ROMANIAN),
        ("en-GB", "ro", ENGLISH),
        ("de-AT", "en", ENGLISH),  # German is not written: the account's fallback
        ("de-AT", "ro", ROMANIAN),
        (None, "en", ROMANIAN),  # no language given: the (Romanian) merchant's own
    ],
)
def test_proration_lines_are_in_the_customers_language(
    api: Api, locale: str | None, fallback: str, lines: list[tuple[str, int]]
) -> None:
    world = World(api, APR_1, timezone="UTC", fallback_locale=fallback)
    assert upgrade(world, locale=locale)[1] == lines


def test_an_invoice_keeps_the_language_it_was_issued_in(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    sub, lines = upgrade(world, locale="ro")
    assert lines == ROMANIAN
    customer = world.subscription(sub)["customer"]
    api.ok("PATCH", f"/v1/customers/{customer}", json={"locale": "en"})
    assert line_amounts(world.invoices(sub)[1]) == ROMANIAN
    team = world.plan(9000, name="Team")
    world.advance_to(datetime(2026, 4, 21, tzinfo=UTC))  # a third of the period left
    world.act(sub, "change", plan=team)
    assert line_amounts(world.invoices(sub)[2]) == [
        ("Unused time on Pro", -2000),
        ("Remaining time on Team", 3000),
    ]


def test_a_setup_fee_is_named_in_the_customers_language(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    pro = world.plan(6000, name="Pro", setup_fees=[{"currency": "RON", "amount": 10000}])
    for locale, fee in (("ro", "Taxă de activare Pro"), ("de", "Pro setup fee")):
        sub = world.subscribe(world.customer(locale=locale), pro)["id"]
        assert line_amounts(world.invoices(sub)[0]) == [(fee, 10000), ("Pro", 6000)]
