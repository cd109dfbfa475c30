"""Moving a subscription between monthly and yearly billing, every invoice to the cent.

The stories run in UTC at 21 % VAT: March 2026 has 31 days, so a switch on March 16th at
00:00 leaves 16/31 of the month unused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import service as events
from tests.conftest import Api, Merchant
from tests.scenarios.world import World, line_amounts

JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)


def at(year: int, month: int, d: int) -> datetime:
    return datetime(year, month, d, tzinfo=UTC)


def periods(invoice: dict[str, Any]) -> list[tuple[str, str]]:
    return [(line["period_start"], line["period_end"]) for line in invoice["lines"]]


def mrr_deltas(merchant: Merchant, session_factory: Any, sub_id: str) -> list[tuple[str, int]]:
    """(type, MRR change) of the subscription's events that change its MRR, oldest first."""
    tenant = Tenant(merchant.account_id, livemode=False)
    with unit_of_work(session_factory) as session:
        found = events.page(session, tenant, 100, None, object_id=sub_id).items
        return [(e.type, e.mrr_delta) for e in reversed(found) if e.mrr_delta]


def test_monthly_to_yearly_and_back_month_by_month(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    world = World(api, JAN_1, timezone="UTC")
    monthly = world.plan(3000, name="Pro", code="pro-monthly")
    yearly = world.plan(30000, name="Pro yearly", interval="year", code="pro-yearly")
    sub = world.subscribe(world.customer(), monthly)
    world.advance_to(at(2026, 3, 16))  # two and a half months in
    assert world.totals(sub["id"]) == [3630, 3630, 3630]

    preview = world.act(sub["id"], "preview_change", plan=yearly)
    assert (preview["effective"], preview["effective_at"]) == ("now", "2026-03-16T00:00:00Z")
    changed = world.act(sub["id"], "change", plan=yearly)
    assert (changed["interval_unit"], changed["interval_count"]) == ("year", 1)
    assert changed["billing_anchor"] == "2026-03-16T00:00:00Z"
    assert (changed["current_period_start"], changed["current_period_end"]) == (
        "2026-03-16T00:00:00Z",
        "2027-03-16T00:00:00Z",
    )
    assert changed["mrr"] == {"amount": 2500, "currency": "RON"}  # 300.00 a year / 12
    switch = world.invoices(sub["id"])[3]
    assert switch["reason"] == "subscription_update"
    # 16/31 of 30.00 = 15.4839 -> 15.48 credited; the year charged whole from now.
    assert line_amounts(switch) == [("Unused time on Pro", -1548), ("Pro yearly", 30000)]
    assert periods(switch) == [
        ("2026-03-16T00:00:00Z", "2026-04-01T00:00:00Z"),
        ("2026-03-16T00:00:00Z", "2027-03-16T00:00:00Z"),
    ]
    assert [switch["subtotal"]["amount"], switch["tax_total"]["amount"]] == [28452, 5975]
    assert switch["total"]["amount"] == 34427
    # The preview was the invoice, to the cent.
    assert preview["invoice"]["lines"] == switch["lines"]
    assert preview["invoice"]["total"] == switch["total"]
    assert preview["invoice"]["tax_total"] == switch["tax_total"]

    world.advance_to(at(2026, 3, 17))
    # Charged through the one charge path, as every upgrade is: paid by the card on file.
    assert world.invoices(sub["id"])[3]["status"] == "paid"
    world.advance_to(at(2026, 9, 1))  # no monthly renewal any more
    assert len(world.invoices(sub["id"])) == 4
    # Back to monthly: the paid year runs out first.
    preview = world.act(sub["id"], "preview_change", plan=monthly)
    assert preview == {
        "object": "change_preview",
        "effective": "period_end",
        "effective_at": "2027-03-16T00:00:00Z",
        "invoice": None,
    }
    changed = world.act(sub["id"], "change", plan=monthly)
    assert changed["plan"] == yearly
    assert changed["pending_change"]["plan"] == monthly
    upcoming = api.ok("GET", f"/v1/customers/{sub['customer']}/upcoming_invoice")
    assert line_amounts(upcoming) == [("Pro", 3000)]
    assert periods(upcoming) == [("2027-03-16T00:00:00Z", "2027-04-16T00:00:00Z")]

    world.advance_to(at(2027, 5, 20))
    invoices = world.invoices(sub["id"])
    assert [i["total"]["amount"] for i in invoices] == [3630] * 3 + [34427] + [3630] * 3
    assert [periods(i) for i in invoices[4:]] == [
        [("2027-03-16T00:00:00Z", "2027-04-16T00:00:00Z")],
        [("2027-04-16T00:00:00Z", "2027-05-16T00:00:00Z")],
        [("2027-05-16T00:00:00Z", "2027-06-16T00:00:00Z")],
    ]
    after = world.subscription(sub["id"])
    assert (after["plan"], after["interval_unit"], after["pending_change"]) == (
        monthly,
        "month",
        None,
    )
    assert after["mrr"] == {"amount": 3000, "currency": "RON"}
    # MRR moves with each switch: 30.00 -> 25.00 a month (the year / 12) -> 30.00.
    assert mrr_deltas(merchant, session_factory, sub["id"]) == [
        ("subscription.created", 3000),
        ("subscription.updated", -500),
        ("subscription.updated", 500),
    ]


def test_yearly_to_monthly_now_when_asked_keeps_the_credit(api: Api) -> None:
    world = World(api, JAN_1, timezone="UTC")
    monthly = world.plan(3000, name="Pro")
    yearly = world.plan(36500, name="Pro yearly", interval="year")
    sub = world.subscribe(world.customer(), yearly)
    world.advance_to(at(2026, 7, 2))  # 2026 has 365 days; 183 of them left
    preview = world.act(sub["id"], "preview_change", plan=monthly, effective="now")
    world.act(sub["id"], "change", plan=monthly, effective="now")
    switch = world.invoices(sub["id"])[1]
    assert line_amounts(switch) == [("Unused time on Pro yearly", -18300), ("Pro", 3000)]
    # -153.00 and its VAT (-32.13) stay on the balance.
    assert (switch["total"]["amount"], switch["amount_due"]["amount"]) == (-18513, 0)
    assert preview["invoice"]["total"] == switch["total"]
    after = world.subscription(sub["id"])
    assert (after["current_period_start"], after["current_period_end"]) == (
        "2026-07-02T00:00:00Z",
        "2026-08-02T00:00:00Z",
    )
    world.advance_to(at(2026, 8, 3))
    august = world.invoices(sub["id"])[2]
    assert line_amounts(august) == [("Pro", 3000)]
    assert (august["credit_applied"]["amount"], august["amount_due"]["amount"]) == (3630, 0)


def test_seats_and_add_ons_carry_over_to_the_yearly_plan(api: Api) -> None:
    world = World(api, JAN_1, timezone="UTC")
    seat_prices = {"pricing_model": "per_unit"}
    monthly = world.plan(
        name="Team", prices=[{"currency": "RON", "unit_amount": "1000"}], **seat_prices
    )
    yearly = world.plan(
        name="Team yearly",
        interval="year",
        prices=[{"currency": "RON", "unit_amount": "10000"}],
        **seat_prices,
    )
    storage = world.add_on(500)
    sub = world.subscribe(world.customer(), monthly, quantity="3", add_ons=[{"add_on": storage}])
    changed = world.act(sub["id"], "change", plan=yearly)
    assert changed["quantity"] == "3"
    assert changed["add_ons"] == [{"add_on": storage, "quantity": "1"}]
    switch = world.invoices(sub["id"])[1]
    # At the very start of the month all of it is unused; an add-on is priced per period
    # of the subscription's interval.
    assert line_amounts(switch) == [
        ("Unused time on Team", -3000),
        ("Unused time on Extra storage", -500),
        ("Team yearly", 30000),
        ("Extra storage", 500),
    ]


def test_an_interval_change_is_refused_while_paused(api: Api) -> None:
    world = World(api, JAN_1, timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(3000))
    yearly = world.plan(30000, interval="year")
    world.act(sub["id"], "pause")
    problem = world.act(sub["id"], "change", 409, plan=yearly)
    assert "paused" in problem["detail"]


def test_trial_moves_to_yearly_without_an_invoice_and_bills_the_year_at_its_end(
    api: Api,
) -> None:
    world = World(api, JAN_1, timezone="UTC")
    monthly = world.plan(3000, trial_days=14)
    yearly = world.plan(30000, interval="year", name="Pro yearly")
    sub = world.subscribe(world.customer(), monthly)
    world.advance_to(at(2026, 1, 5))
    world.act(sub["id"], "change", plan=yearly)
    assert world.invoices(sub["id"]) == []
    world.advance_to(at(2026, 1, 16))
    first = world.invoices(sub["id"])[0]
    assert line_amounts(first) == [("Pro yearly", 30000)]
    assert periods(first) == [("2026-01-15T00:00:00Z", "2027-01-15T00:00:00Z")]


def test_monthly_to_yearly_at_the_period_end_when_asked(api: Api) -> None:
    world = World(api, JAN_1, timezone="UTC")
    monthly = world.plan(3000, name="Pro")
    yearly = world.plan(30000, name="Pro yearly", interval="year")
    sub = world.subscribe(world.customer(), monthly)
    world.advance_to(at(2026, 1, 20))
    preview = world.act(sub["id"], "preview_change", plan=yearly, effective="period_end")
    assert (preview["effective_at"], preview["invoice"]) == ("2026-02-01T00:00:00Z", None)
    world.act(sub["id"], "change", plan=yearly, effective="period_end")
    upcoming = api.ok("GET", f"/v1/customers/{sub['customer']}/upcoming_invoice")
    assert periods(upcoming) == [("2026-02-01T00:00:00Z", "2027-02-01T00:00:00Z")]
    world.advance_to(at(2026, 3, 2))
    invoices = world.invoices(sub["id"])
    assert [line_amounts(i) for i in invoices] == [[("Pro", 3000)], [("Pro yearly", 30000)]]
    assert periods(invoices[1]) == periods(upcoming)
    after = world.subscription(sub["id"])
    assert (after["billing_anchor"], after["current_period_end"]) == (
        "2026-02-01T00:00:00Z",
        "2027-02-01T00:00:00Z",
    )


def test_calendar_billing_switches_to_a_year_ending_on_january_first(api: Api) -> None:
    world = World(api, JAN_1, timezone="UTC", billing_alignment="calendar")
    monthly = world.plan(3000, name="Pro")
    yearly = world.plan(36500, name="Pro yearly", interval="year")
    sub = world.subscribe(world.customer(), monthly)
    world.advance_to(at(2026, 3, 2))  # March has 31 days: 30 of them left
    preview = world.act(sub["id"], "preview_change", plan=yearly)
    world.act(sub["id"], "change", plan=yearly)
    switch = world.invoices(sub["id"])[3]
    # 2026 has 305 days left from March 2nd: 305/365 of the year, on the calendar grid.
    assert line_amounts(switch) == [("Unused time on Pro", -2903), ("Pro yearly", 30500)]
    assert periods(switch)[1] == ("2026-03-02T00:00:00Z", "2027-01-01T00:00:00Z")
    assert preview["invoice"]["total"] == switch["total"]
    world.advance_to(at(2027, 1, 2))
    renewal = world.invoices(sub["id"])[4]
    assert line_amounts(renewal) == [("Pro yearly", 36500)]
    assert periods(renewal) == [("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z")]


def test_a_plan_billed_in_arrears_changes_interval_only_at_the_period_end(api: Api) -> None:
    world = World(api, JAN_1, timezone="UTC")
    monthly = world.plan(3000, billing_timing="in_arrears")
    yearly = world.plan(30000, interval="year", name="Pro yearly")
    sub = world.subscribe(world.customer(), monthly)
    world.advance_to(at(2026, 1, 10))
    problem = world.act(sub["id"], "change", 422, plan=yearly)
    assert problem["errors"][0]["pointer"] == "#/effective"
    world.act(sub["id"], "change", plan=yearly, effective="period_end")
    world.advance_to(at(2026, 2, 2))
    # January in arrears on the monthly plan, then the year in advance from February 1st.
    (renewal,) = world.invoices(sub["id"])
    assert line_amounts(renewal) == [("Pro", 3000), ("Pro yearly", 30000)]
    assert periods(renewal)[1] == ("2026-02-01T00:00:00Z", "2027-02-01T00:00:00Z")


def test_a_repeating_coupon_keeps_the_time_it_had_left_in_whole_new_periods(api: Api) -> None:
    world = World(api, JAN_1, timezone="UTC")
    monthly = world.plan(3000, name="Pro")
    yearly = world.plan(30000, name="Pro yearly", interval="year")
    coupon = world.coupon(percent_off="10", duration="repeating", duration_in_periods=4)
    sub = world.subscribe(world.customer(), monthly, coupon=coupon)
    world.advance_to(at(2026, 3, 16))  # January, February and March discounted: one left
    world.act(sub["id"], "change", plan=yearly)
    # The month it had left covers no whole year: the coupon is spent, not stretched.
    assert world.subscription(sub["id"])["discount"] is None
    world.advance_to(at(2027, 3, 17))
    invoices = world.invoices(sub["id"])
    # The switch is at list price, like every change's invoice; the renewal too.
    assert [i["discount_total"]["amount"] for i in invoices] == [300, 300, 300, 0, 0]


def test_a_yearly_discount_becomes_months_when_moving_to_monthly(api: Api) -> None:
    world = World(api, JAN_1, timezone="UTC")
    monthly = world.plan(3000, name="Pro")
    yearly = world.plan(30000, name="Pro yearly", interval="year")
    coupon = world.coupon(percent_off="10", duration="repeating", duration_in_periods=2)
    sub = world.subscribe(world.customer(), yearly, coupon=coupon)
    world.act(sub["id"], "change", plan=monthly)  # at the year's end
    world.advance_to(at(2027, 1, 2))
    # One discounted year paid, one left: twelve discounted months from the switch.
    assert world.subscription(sub["id"])["discount"]["periods_left"] == 11
    world.advance_to(at(2028, 1, 2))
    discounts = [i["discount_total"]["amount"] for i in world.invoices(sub["id"])]
    assert discounts == [3000] + [300] * 12 + [0]
