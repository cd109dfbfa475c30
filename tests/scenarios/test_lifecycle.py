"""Trials, cancellations, pauses and discounts over several months, to the cent."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Api
from tests.scenarios.world import World, line_amounts


def day(month: int, d: int, year: int = 2026) -> datetime:
    return datetime(year, month, d, tzinfo=UTC)


def types(world: World, sub_id: str) -> list[str]:
    return [event["type"] for event in world.events(sub_id)]


def test_trial_that_converts(api: Api) -> None:
    world = World(api, day(1, 1), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(4900, trial_days=14))
    assert (sub["status"], sub["trial_end"]) == ("trialing", "2026-01-15T00:00:00Z")
    assert sub["mrr"]["amount"] == 0
    world.advance_to(day(1, 13))
    assert world.invoices(sub["id"]) == []
    assert types(world, sub["id"]) == ["subscription.created", "subscription.trial_will_end"]
    world.advance_to(day(3, 1))
    invoices = world.invoices(sub["id"])
    assert [(i["period_start"], i["total"]["amount"]) for i in invoices] == [
        ("2026-01-15T00:00:00Z", 5929),
        ("2026-02-15T00:00:00Z", 5929),
    ]
    assert world.subscription(sub["id"])["status"] == "active"
    events = world.events(sub["id"])
    assert [e["type"] for e in events] == [
        "subscription.created",
        "subscription.trial_will_end",
        "subscription.updated",
        "subscription.renewed",
    ]
    # MRR appears when the trial converts, and the log adds up to the subscription's MRR.
    assert [e["mrr_change"]["amount"] for e in events] == [0, 0, 4900, 0]


def test_trial_canceled_bills_nothing(api: Api) -> None:
    world = World(api, day(1, 1), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(4900, trial_days=14))
    world.advance_to(day(1, 5))
    canceling = world.act(sub["id"], "cancel", at_period_end=True)
    assert canceling["cancel_at_period_end"] is True
    world.advance_to(day(3, 1))
    after = world.subscription(sub["id"])
    assert (after["status"], after["ended_at"]) == ("canceled", "2026-01-15T00:00:00Z")
    assert world.invoices(sub["id"]) == []


def test_cancel_at_period_end_then_reactivate(api: Api) -> None:
    world = World(api, day(4, 1), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(3000))
    world.advance_to(day(4, 10))
    assert world.act(sub["id"], "cancel", at_period_end=True)["cancel_at_period_end"] is True
    world.advance_to(day(4, 20))
    assert world.act(sub["id"], "reactivate")["cancel_at_period_end"] is False
    world.advance_to(day(6, 2))
    assert world.totals(sub["id"]) == [3630, 3630, 3630]
    assert world.subscription(sub["id"])["status"] == "active"


def test_cancel_at_period_end_ends_it(api: Api) -> None:
    world = World(api, day(4, 1), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(3000))
    world.advance_to(day(4, 10))
    world.act(sub["id"], "cancel", at_period_end=True)
    world.advance_to(day(6, 2))
    after = world.subscription(sub["id"])
    assert (after["status"], after["ended_at"]) == ("canceled", "2026-05-01T00:00:00Z")
    assert after["mrr"]["amount"] == 0
    assert world.totals(sub["id"]) == [3630]
    canceled = world.events(sub["id"])[-1]
    assert canceled["type"] == "subscription.canceled"
    assert canceled["mrr_change"]["amount"] == -3000
    # Reactivating after the end is a clear 409.
    problem = world.act(sub["id"], "reactivate", 409)
    assert "canceled" in problem["detail"]


def test_cancel_now_with_credit_for_unused_time(api: Api) -> None:
    world = World(api, day(4, 1), timezone="UTC")
    customer = world.customer()
    plan = world.plan(3000)
    sub = world.subscribe(customer, plan)
    world.advance_to(day(4, 16))
    world.act(sub["id"], "cancel", prorate=True)
    final = world.invoices(sub["id"])[1]
    assert final["reason"] == "subscription_cancel"
    assert line_amounts(final) == [("Unused time on Pro", -1500)]
    assert final["total"]["amount"] == -1815
    # The credit pays part of the customer's next subscription.
    again = world.subscribe(customer, plan)
    first = world.invoices(again["id"])[0]
    assert (first["credit_applied"]["amount"], first["amount_due"]["amount"]) == (1815, 1815)


def test_pause_and_resume(api: Api) -> None:
    world = World(api, day(4, 1), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(3000))
    world.advance_to(day(4, 16))
    paused = world.act(sub["id"], "pause")
    assert (paused["status"], paused["mrr"]["amount"]) == ("paused", 0)
    # Paused: no renewal on May 1.
    world.advance_to(day(5, 10))
    assert world.totals(sub["id"]) == [3630, -1815]
    resumed = world.act(sub["id"], "resume")
    assert resumed["current_period_start"] == "2026-05-10T00:00:00Z"
    assert resumed["current_period_end"] == "2026-06-10T00:00:00Z"
    world.advance_to(day(6, 11))
    invoices = world.invoices(sub["id"])
    assert [i["total"]["amount"] for i in invoices] == [3630, -1815, 3630, 3630]
    assert invoices[2]["amount_due"]["amount"] == 1815  # the pause credit used up
    assert types(world, sub["id"])[-3:] == [
        "subscription.paused",
        "subscription.resumed",
        "subscription.renewed",
    ]


def test_pause_with_automatic_resume(api: Api) -> None:
    world = World(api, day(4, 1), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(3000))
    world.advance_to(day(4, 16))
    world.act(sub["id"], "pause", resume_at="2026-05-20T00:00:00Z")
    world.advance_to(day(5, 21))
    after = world.subscription(sub["id"])
    assert (after["status"], after["current_period_start"]) == (
        "active",
        "2026-05-20T00:00:00Z",
    )


def test_coupon_repeating_three_months(api: Api) -> None:
    world = World(api, day(1, 10), timezone="UTC")
    coupon = world.coupon(percent_off="20", duration="repeating", duration_in_periods=3)
    sub = world.subscribe(world.customer(), world.plan(5000), coupon=coupon)
    assert sub["discount"]["periods_left"] == 2  # the first period is already discounted
    world.advance_to(day(6, 1))
    # 50.00 - 20 % = 40.00 + 21 % VAT for three months, then 60.50.
    assert world.totals(sub["id"]) == [4840, 4840, 4840, 6050, 6050]
    first = world.invoices(sub["id"])[0]
    assert first["discounts"] == [
        {"description": "Welcome", "amount": {"amount": 1000, "currency": "RON"}}
    ]
    assert world.subscription(sub["id"])["discount"] is None


def test_amount_off_coupon_forever(api: Api) -> None:
    world = World(api, day(1, 10), timezone="UTC")
    coupon = world.coupon(amounts_off=[{"amount": 700, "currency": "RON"}], duration="forever")
    sub = world.subscribe(world.customer(), world.plan(5000), coupon=coupon)
    world.advance_to(day(4, 1))
    assert world.totals(sub["id"]) == [5203] * 3  # (5000 - 700) * 1.21


def test_setup_fee_on_the_first_invoice_only(api: Api) -> None:
    world = World(api, day(1, 10), timezone="UTC")
    plan = world.plan(5000, setup_fees=[{"currency": "RON", "amount": 10000}])
    sub = world.subscribe(world.customer(), plan)
    world.advance_to(day(2, 11))
    invoices = world.invoices(sub["id"])
    assert line_amounts(invoices[0]) == [("Pro setup fee", 10000), ("Pro", 5000)]
    assert [i["total"]["amount"] for i in invoices] == [18150, 6050]


def test_incomplete_until_the_first_invoice_is_paid(api: Api) -> None:
    world = World(api, day(1, 10), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(5000), payment_behavior="default_incomplete")
    assert (sub["status"], sub["mrr"]["amount"]) == ("incomplete", 0)
    invoice = world.invoices(sub["id"])[0]
    paid = api.ok("POST", f"/v1/invoices/{invoice['id']}/pay", json={})
    assert (paid["status"], paid["amount_paid"]["amount"]) == ("paid", 6050)
    after = world.subscription(sub["id"])
    assert (after["status"], after["mrr"]["amount"]) == ("active", 5000)
    assert api.post(f"/v1/invoices/{invoice['id']}/pay", json={}).status_code == 409


def test_illegal_transitions_are_409_with_a_reason(api: Api) -> None:
    world = World(api, day(1, 10), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(5000, trial_days=7))
    problem = world.act(sub["id"], "pause", 409)
    assert problem["detail"] == "cannot pause a trialing subscription."
    assert world.act(sub["id"], "resume", 409)["type"].endswith("illegal-transition")
    assert "not set to cancel" in world.act(sub["id"], "reactivate", 409)["detail"]


def test_entitlements_follow_the_subscription(api: Api) -> None:
    world = World(api, day(1, 1), timezone="UTC")
    sso = api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )["id"]
    plan = world.plan(4900, trial_days=14, features=[{"feature": sso, "value": True}])
    customer = world.customer()

    def granted() -> list[str]:
        found = api.ok("GET", f"/v1/customers/{customer}/entitlements")["features"]
        return [f["code"] for f in found]

    def updates() -> list[list[str]]:
        found = api.ok("GET", "/v1/events", params={"type": "entitlements.updated"})["data"]
        return [[f["code"] for f in e["data"]["features"]] for e in reversed(found)]

    assert granted() == []
    sub = world.subscribe(customer, plan)
    assert granted() == ["sso"]  # from the first day of the trial
    world.advance_to(day(3, 1))  # the trial converts and renews: nothing new to grant
    assert updates() == [["sso"]]
    world.act(sub["id"], "cancel")
    assert granted() == []
    assert updates() == [["sso"], []]
