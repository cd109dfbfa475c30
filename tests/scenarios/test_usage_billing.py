"""Metered usage billed in arrears on the period-end invoice, tiers crossing a boundary."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import Api
from tests.scenarios.world import World, line_amounts

TIERS = [
    {"up_to": "100", "unit_amount": "10"},
    {"up_to": "1000", "unit_amount": "5"},
    {"up_to": None, "unit_amount": "1"},
]


def day(month: int, d: int, hour: int = 0) -> datetime:
    return datetime(2026, month, d, hour, tzinfo=UTC)


def metered_plan(world: World, model: str, metric: dict[str, Any]) -> str:
    charge = {
        "billable_metric": metric["id"],
        "pricing_model": model,
        "prices": [{"currency": "RON", "tiers": TIERS}],
    }
    return world.plan(1000, name="API", charges=[charge])


def test_graduated_tiers_crossing_a_boundary(api: Api) -> None:
    world = World(api, day(4, 1), timezone="UTC")
    metric = world.metric()
    customer = world.customer()
    sub = world.subscribe(customer, metered_plan(world, "tiered_graduated", metric))
    world.advance_to(day(4, 10))
    world.usage(customer, metric["code"], day(4, 9), count=90)
    world.advance_to(day(4, 20))
    world.usage(customer, metric["code"], day(4, 19), count=60)
    usage = api.ok("GET", f"/v1/customers/{customer}/usage")
    assert usage["subscriptions"][0]["charges"][0]["quantity"] == "150"
    world.advance_to(day(5, 2))
    may = world.invoices(sub["id"])[1]
    # April's 150 calls: 100 at 0.10 + 50 at 0.05, next to May's fee.
    assert line_amounts(may) == [
        ("API calls (tier 1)", 1000),
        ("API calls (tier 2)", 250),
        ("API", 1000),
    ]
    usage_lines = [line for line in may["lines"] if line["kind"] == "usage"]
    assert {line["period_start"] for line in usage_lines} == {"2026-04-01T00:00:00Z"}
    # 22.50 + 4.725 VAT, rounded per rate to 4.73.
    assert may["total"]["amount"] == 2723
    # May had no usage: June's invoice is the fee alone.
    world.advance_to(day(6, 2))
    assert world.totals(sub["id"]) == [1210, 2723, 1210]


def test_volume_tiers_crossing_a_boundary(api: Api) -> None:
    world = World(api, day(4, 1), timezone="UTC")
    metric = world.metric()
    customer = world.customer()
    sub = world.subscribe(customer, metered_plan(world, "tiered_volume", metric))
    world.advance_to(day(4, 10))
    world.usage(customer, metric["code"], day(4, 9), count=150)
    world.advance_to(day(5, 2))
    may = world.invoices(sub["id"])[1]
    usage_lines = [line for line in may["lines"] if line["kind"] == "usage"]
    # All 150 at the second tier's 0.05.
    assert [(line["quantity"], line["amount"]["amount"]) for line in usage_lines] == [("150", 750)]
    assert may["total"]["amount"] == 2118  # (1000 + 750) * 1.21 = 2117.5


def test_sum_with_filter_and_cancel_now_bills_usage_so_far(api: Api) -> None:
    world = World(api, day(4, 1), timezone="UTC")
    metric = world.metric(
        "sum",
        field="gb",
        name="Storage",
        filters=[{"property": "region", "values": ["eu"]}],
    )
    charge = {
        "billable_metric": metric["id"],
        "pricing_model": "per_unit",
        "prices": [{"currency": "RON", "unit_amount": "200"}],
    }
    customer = world.customer()
    sub = world.subscribe(customer, world.plan(0, name="Storage plan", charges=[charge]))
    world.advance_to(day(4, 10))
    world.usage(customer, metric["code"], day(4, 9), gb=2.5, region="eu")
    world.usage(customer, metric["code"], day(4, 9), gb=4, region="us")  # filtered out
    world.usage(customer, metric["code"], day(4, 9, 12), gb=1.25, region="eu")
    world.act(sub["id"], "cancel")
    final = world.invoices(sub["id"])[-1]
    assert final["reason"] == "subscription_cancel"
    assert line_amounts(final) == [("Storage", 750)]  # 3.75 GB x 2.00
    assert final["lines"][0]["period_end"] == "2026-04-10T00:00:00Z"


def test_usage_in_a_closed_period_is_refused(api: Api) -> None:
    world = World(api, day(4, 1), timezone="UTC")
    metric = world.metric()
    customer = world.customer()
    world.subscribe(customer, metered_plan(world, "tiered_graduated", metric))
    world.advance_to(day(5, 2))
    event = {
        "transaction_id": "late-1",
        "customer": customer,
        "code": metric["code"],
        "timestamp": "2026-04-30T12:00:00Z",
    }
    response = api.post("/v1/usage_events", json=event)
    assert response.status_code == 422, response.text
