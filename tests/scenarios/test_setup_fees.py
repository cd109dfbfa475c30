"""Setup fees are owed once per customer and plan: when first subscribing to, or upgrading
into, a plan that has one; never again on subscribing again or changing back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import Api
from tests.scenarios.world import World, line_amounts


def day(d: int) -> datetime:
    return datetime(2026, 4, d, tzinfo=UTC)


def fee(amount: int) -> dict[str, Any]:
    return {"setup_fees": [{"currency": "RON", "amount": amount}]}


def test_setup_fee_once_per_customer_and_plan(api: Api) -> None:
    world = World(api, day(1), timezone="UTC")
    pro = world.plan(4900, name="Pro", **fee(100_000))
    premium = world.plan(9900, name="Premium", **fee(50_000))
    ana = world.customer()

    first = world.subscribe(ana, pro)
    (invoice,) = world.invoices(first["id"])
    assert line_amounts(invoice) == [("Pro setup fee", 100_000), ("Pro", 4900)]
    assert invoice["total"]["amount"] == 104_900 + 22_029  # 21 % VAT

    world.advance_to(day(10))
    world.act(first["id"], "cancel")
    again = world.subscribe(ana, pro)  # subscribing again: no fee
    (invoice,) = world.invoices(again["id"])
    assert line_amounts(invoice) == [("Pro", 4900)]
    assert invoice["total"]["amount"] == 4900 + 1029

    # Apr 20, two thirds of the period Apr 10 - May 10 left: an upgrade owes Premium's fee.
    world.advance_to(day(20))
    world.act(again["id"], "change", plan=premium)
    # Apr 25, half left: back to Pro, whose fee was paid on Apr 1.
    world.advance_to(day(25))
    world.act(again["id"], "change", plan=pro, effective="now")
    # Apr 28, 12 of 30 days left: up to Premium again, its fee paid on Apr 20.
    world.advance_to(day(28))
    world.act(again["id"], "change", plan=premium)

    _, upgrade, downgrade, back = world.invoices(again["id"])
    assert line_amounts(upgrade) == [
        ("Unused time on Pro", -3267),
        ("Remaining time on Premium", 6600),
        ("Premium setup fee", 50_000),
    ]
    assert upgrade["tax_total"]["amount"] == 11_200  # 11,199.93
    assert upgrade["total"]["amount"] == 53_333 + 11_200
    assert line_amounts(downgrade) == [
        ("Unused time on Premium", -4950),
        ("Remaining time on Pro", 2450),
    ]
    assert downgrade["total"]["amount"] == -2500 - 525
    assert line_amounts(back) == [
        ("Unused time on Pro", -1960),
        ("Remaining time on Premium", 3960),
    ]
    assert back["total"]["amount"] == 2000 + 420
    fees = [
        line["amount"]["amount"]
        for sub in (first, again)
        for invoice in world.invoices(sub["id"])
        for line in invoice["lines"]
        if line["kind"] == "setup_fee"
    ]
    assert fees == [100_000, 50_000]


def test_a_voided_setup_fee_is_owed_again_and_other_customers_owe_their_own(api: Api) -> None:
    world = World(api, day(1), timezone="UTC")
    pro = world.plan(4900, name="Pro", **fee(100_000))
    ana, ion = world.customer(card=None), world.customer(card=None, name="Ion Pop")
    body = {"collection_method": "send_invoice"}
    first = world.subscribe(ana, pro, **body)
    (invoice,) = world.invoices(first["id"])
    world.act(first["id"], "cancel")
    api.ok("POST", f"/v1/invoices/{invoice['id']}/void", json={})
    again = world.subscribe(ana, pro, **body)
    assert [ln["kind"] for ln in world.invoices(again["id"])[0]["lines"]] == [
        "setup_fee",
        "subscription",
    ]
    other = world.subscribe(ion, pro, **body)
    assert world.invoices(other["id"])[0]["lines"][0]["kind"] == "setup_fee"


def test_upgrading_during_a_trial_owes_the_fee_alone(api: Api) -> None:
    world = World(api, day(1), timezone="UTC")
    basic = world.plan(2900, name="Basic")
    premium = world.plan(9900, name="Premium", **fee(50_000))
    sub = world.subscribe(world.customer(), basic, trial_days=14)
    world.advance_to(day(5))
    world.act(sub["id"], "change", plan=premium)
    (upgrade,) = world.invoices(sub["id"])  # the trial itself billed nothing
    assert line_amounts(upgrade) == [("Premium setup fee", 50_000)]
    assert upgrade["total"]["amount"] == 50_000 + 10_500
