"""Changing the billing interval in the portal: the plan's yearly twin is offered with what
the year saves, moving to it is invoiced at once exactly as previewed, and moving back to
monthly waits for the paid year's end unless the account lets downgrades happen now."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import T0, Api
from tests.portal.conftest import PRICE, Subscriber, subscriber
from tests.portal.test_change import cell, confirm, money, open_change, preview
from tests.portal.test_sign_in import signed_in

DAYS = timedelta(days=1)
YEARLY = 49000  # ten months' price for twelve: saves 16 %


def yearly_twin(who: Subscriber) -> str:
    monthly = who.world.subscription(who.subscription)["plan"]
    code = who.world.api.ok("GET", f"/v1/plans/{monthly}")["code"]
    return who.world.plan(YEARLY, interval="year", code=f"{code}-yearly", name="Pro yearly")


@pytest.mark.parametrize(
    ("locale", "saving"),
    [("en", "save 16% with yearly billing"), ("ro", "economisiți 16% cu plata anuală")],
)
def test_monthly_to_yearly_is_invoiced_now_exactly_as_previewed(
    api: Api, locale: str, saving: str
) -> None:
    who = subscriber(api, locale)
    yearly = yearly_twin(who)
    who.world.advance_to(T0 + 10 * DAYS + timedelta(hours=3, seconds=11))
    client = signed_in(api, who.customer)
    page = open_change(client, who.subscription)
    assert yearly in page.radios("plan")
    assert cell(page, f"saving-{yearly}") == saving
    assert cell(page, f"interval-{yearly}")
    shown = preview(client, who.subscription, plan=yearly)
    words = {"en": "The change takes effect now.", "ro": "Modificarea intră în vigoare acum."}
    assert words[locale] in shown.text
    hint = {"en": "a new billing period starts today", "ro": "o nouă perioadă de facturare"}
    assert hint[locale] in cell(shown, "proration-hint")
    total = cell(shown, "invoice-total")
    before = len(who.world.invoices(who.subscription))
    confirm(client, who.subscription, shown)
    invoices = who.world.invoices(who.subscription)
    assert len(invoices) == before + 1
    issued = invoices[-1]
    assert total == money(issued["total"]["amount"], locale)
    assert issued["lines"][-1]["amount"]["amount"] == YEARLY
    sub = who.world.subscription(who.subscription)
    assert (sub["plan"], sub["interval_unit"]) == (yearly, "year")
    assert sub["current_period_start"] == issued["lines"][-1]["period_start"]


def test_yearly_to_monthly_waits_for_the_year_end(api: Api) -> None:
    who = subscriber(api, "ro")
    monthly = who.world.subscription(who.subscription)["plan"]
    yearly = yearly_twin(who)
    who.world.advance_to(T0 + 2 * DAYS)
    client = signed_in(api, who.customer)
    confirm(client, who.subscription, preview(client, who.subscription, plan=yearly))
    year_end = who.world.subscription(who.subscription)["current_period_end"]

    who.world.advance_to(T0 + 40 * DAYS)
    page = open_change(client, who.subscription)
    assert monthly in page.radios("plan")
    assert "după ce se încheie anul" in cell(page, f"interval-{monthly}")
    assert cell(page, f"saving-{yearly}")  # the current yearly plan still shows its saving
    shown = preview(client, who.subscription, plan=monthly)
    assert "la sfârșitul perioadei curente" in cell(shown, "effective")
    assert not shown.tree.xpath('//table[@id="invoice"]')
    # The first monthly invoice: 49.00 + 21 % VAT.
    assert cell(shown, "renewal-total") == money(PRICE * 121 // 100, "ro")
    before = len(who.world.invoices(who.subscription))
    confirm(client, who.subscription, shown)
    sub = who.world.subscription(who.subscription)
    assert sub["plan"] == yearly
    assert (sub["pending_change"]["plan"], sub["pending_change"]["effective_at"]) == (
        monthly,
        year_end,
    )
    assert len(who.world.invoices(who.subscription)) == before


def test_yearly_to_monthly_now_when_the_account_says_so(api: Api) -> None:
    who = subscriber(api, "en")
    monthly = who.world.subscription(who.subscription)["plan"]
    yearly = yearly_twin(who)
    client = signed_in(api, who.customer)
    confirm(client, who.subscription, preview(client, who.subscription, plan=yearly))
    api.ok("PATCH", "/v1/account", json={"portal_downgrade_timing": "now"})
    who.world.advance_to(T0 + 100 * DAYS)
    page = open_change(client, who.subscription)
    assert "from today" in cell(page, f"interval-{monthly}")
    shown = preview(client, who.subscription, plan=monthly)
    assert cell(shown, "effective") == "The change takes effect now."
    total = cell(shown, "invoice-total")
    assert total.startswith(("-", "\N{MINUS SIGN}"))  # most of the year, credited
    confirm(client, who.subscription, shown)
    sub = who.world.subscription(who.subscription)
    assert (sub["plan"], sub["interval_unit"]) == (monthly, "month")
    assert total == money(who.world.invoices(who.subscription)[-1]["total"]["amount"], "en")
