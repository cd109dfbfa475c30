"""Plan, seat and add-on changes, prorated by the second, every invoice to the cent.

The stories run in UTC with April's 30 days, so a change on the 16th at 00:00 leaves exactly
half of the period and one on the 11th exactly two thirds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Api
from tests.scenarios.world import World, line_amounts

APR_1 = datetime(2026, 4, 1, tzinfo=UTC)


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, tzinfo=UTC)


def test_upgrade_mid_period_is_prorated_and_invoiced_at_once(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    basic, pro = world.plan(3000, name="Basic"), world.plan(6000, name="Pro")
    sub = world.subscribe(world.customer(), basic)
    world.advance_to(day(4, 16))
    preview = world.act(sub["id"], "preview_change", plan=pro)
    assert preview["effective"] == "now"
    changed = world.act(sub["id"], "change", plan=pro)
    assert changed["plan"] == pro
    invoices = world.invoices(sub["id"])
    upgrade = invoices[1]
    assert upgrade["reason"] == "subscription_update"
    assert line_amounts(upgrade) == [
        ("Unused time on Basic", -1500),
        ("Remaining time on Pro", 3000),
    ]
    assert [upgrade["subtotal"]["amount"], upgrade["tax_total"]["amount"]] == [1500, 315]
    assert upgrade["total"]["amount"] == 1815
    # The preview showed exactly what was billed.
    assert preview["invoice"]["lines"] == upgrade["lines"]
    assert preview["invoice"]["total"] == upgrade["total"]
    world.advance_to(day(5, 2))
    assert world.totals(sub["id"]) == [3630, 1815, 7260]


def test_downgrade_waits_for_period_end(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    basic, pro = world.plan(3000, name="Basic"), world.plan(6000, name="Pro")
    sub = world.subscribe(world.customer(), pro)
    world.advance_to(day(4, 16))
    preview = world.act(sub["id"], "preview_change", plan=basic)
    assert preview == {
        "object": "change_preview",
        "effective": "period_end",
        "effective_at": "2026-05-01T00:00:00Z",
        "invoice": None,
    }
    changed = world.act(sub["id"], "change", plan=basic)
    assert changed["plan"] == pro
    assert changed["pending_change"]["plan"] == basic
    assert changed["pending_change"]["effective_at"] == "2026-05-01T00:00:00Z"
    assert world.totals(sub["id"]) == [7260]
    # The upcoming invoice already shows the cheaper plan.
    upcoming = api.ok("GET", f"/v1/customers/{sub['customer']}/upcoming_invoice")
    assert line_amounts(upcoming) == [("Basic", 3000)]
    world.advance_to(day(6, 2))
    assert world.totals(sub["id"]) == [7260, 3630, 3630]
    after = world.subscription(sub["id"])
    assert (after["plan"], after["pending_change"]) == (basic, None)
    assert after["mrr"] == {"amount": 3000, "currency": "RON"}


def test_downgrade_now_keeps_the_credit_on_the_balance(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    basic, pro = world.plan(3000, name="Basic"), world.plan(6000, name="Pro")
    sub = world.subscribe(world.customer(), pro)
    world.advance_to(day(4, 16))
    world.act(sub["id"], "change", plan=basic, effective="now")
    downgrade = world.invoices(sub["id"])[1]
    assert line_amounts(downgrade) == [
        ("Unused time on Pro", -3000),
        ("Remaining time on Basic", 1500),
    ]
    # -1500 - 315 VAT: nothing due, 18.15 RON kept as credit.
    assert (downgrade["total"]["amount"], downgrade["amount_due"]["amount"]) == (-1815, 0)
    assert downgrade["status"] == "paid"
    world.advance_to(day(5, 2))
    may = world.invoices(sub["id"])[2]
    assert (may["total"]["amount"], may["credit_applied"]["amount"]) == (3630, 1815)
    assert may["amount_due"]["amount"] == 1815


def test_seats_up_then_down(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    seats = world.plan(
        name="Team", pricing_model="per_unit", prices=[{"currency": "RON", "unit_amount": "1000"}]
    )
    sub = world.subscribe(world.customer(), seats, quantity="2")
    world.advance_to(day(4, 11))  # two thirds left
    world.act(sub["id"], "change", quantity="5")
    world.advance_to(day(4, 21))  # one third left
    world.act(sub["id"], "change", quantity="3")
    invoices = world.invoices(sub["id"])
    assert line_amounts(invoices[1]) == [
        ("Unused time on Team", -1333),
        ("Remaining time on Team", 3333),
    ]
    assert invoices[1]["total"]["amount"] == 2000 + 420
    assert line_amounts(invoices[2]) == [
        ("Unused time on Team", -1667),
        ("Remaining time on Team", 1000),
    ]
    # -667 with its VAT (-140.07, rounded per rate to -140) goes to the balance.
    assert invoices[2]["total"]["amount"] == -807
    world.advance_to(day(5, 2))
    may = world.invoices(sub["id"])[3]
    assert line_amounts(may) == [("Team", 3000)]
    assert [may["total"]["amount"], may["credit_applied"]["amount"]] == [3630, 807]
    assert may["amount_due"]["amount"] == 2823


def test_add_on_added_then_removed(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    plan, storage = world.plan(3000), world.add_on(900)
    sub = world.subscribe(world.customer(), plan)
    world.advance_to(day(4, 16))
    added = world.act(sub["id"], "change", add_ons=[{"add_on": storage}])
    assert added["add_ons"] == [{"add_on": storage, "quantity": "1"}]
    # Only the add-on is prorated; the plan did not change.
    assert line_amounts(world.invoices(sub["id"])[1]) == [("Remaining time on Extra storage", 450)]
    world.advance_to(day(5, 2))
    assert line_amounts(world.invoices(sub["id"])[2]) == [("Pro", 3000), ("Extra storage", 900)]
    world.advance_to(day(5, 16))  # May has 31 days: 16 days left, 16/31 of 900 = 464.5 -> 465
    world.act(sub["id"], "change", add_ons=[])
    assert line_amounts(world.invoices(sub["id"])[3]) == [("Unused time on Extra storage", -465)]


def test_coupon_applied_by_promotion_code_later(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    plan = world.plan(5000)
    coupon = world.coupon(percent_off="10", duration="once")
    api.ok("POST", "/v1/promotion_codes", 201, json={"code": "SPRING10", "coupon": coupon})
    sub = world.subscribe(world.customer(), plan)
    world.advance_to(day(4, 10))
    changed = world.act(sub["id"], "change", promotion_code="spring10")
    assert changed["discount"]["coupon"] == coupon
    world.advance_to(day(6, 2))
    # 50.00 - 10 % = 45.00 + 21 % VAT once, then full price again.
    assert world.totals(sub["id"]) == [6050, 5445, 6050]
