"""A week before a yearly subscription renews, `invoice.upcoming` announces the charge:
once per renewal, with what the renewal will bill, and never for monthly plans or for a
subscription that will not renew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.subscriptions import notices
from tests.conftest import T0, Api
from tests.scenarios.world import World

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def upcoming(world: World, sub: str) -> list[dict[str, Any]]:
    return [e for e in world.events(sub) if e["type"] == "invoice.upcoming"]


def test_a_yearly_renewal_is_announced_a_week_ahead_each_year(api: Api) -> None:
    world = World(api, START, timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(99000, interval="year"))["id"]
    world.advance_to(datetime(2027, 3, 3, 11, 59, tzinfo=UTC))
    assert upcoming(world, sub) == []
    world.advance_to(datetime(2027, 3, 3, 12, 1, tzinfo=UTC))
    (first,) = upcoming(world, sub)
    assert first["occurred_at"] == "2027-03-03T12:00:00Z"
    assert first["data"] == {
        "id": sub,
        "subscription": sub,
        "customer": world.subscription(sub)["customer"],
        "plan": world.subscription(sub)["plan"],
        "renews_at": "2027-03-10T12:00:00Z",
        "amount": 119790,  # 990.00 + 21 % VAT, what the renewal then bills
        "currency": "RON",
    }
    world.advance_to(datetime(2028, 3, 11, tzinfo=UTC))
    assert world.totals(sub) == [119790, 119790, 119790]
    assert [e["occurred_at"] for e in upcoming(world, sub)] == [
        "2027-03-03T12:00:00Z",
        "2028-03-03T12:00:00Z",
    ]


def test_monthly_plans_and_ending_subscriptions_are_not_announced(api: Api) -> None:
    world = World(api, START, timezone="UTC")
    monthly = world.subscribe(world.customer(), world.plan(4900))["id"]
    yearly_plan = world.plan(99000, interval="year")
    ending = world.subscribe(world.customer(), yearly_plan)["id"]
    world.act(ending, "cancel", at_period_end=True)
    twelve_months = world.subscribe(world.customer(), world.plan(50000, count=12))["id"]
    world.advance_to(START + timedelta(days=365))
    assert upcoming(world, monthly) == []
    assert upcoming(world, ending) == []
    assert len(upcoming(world, twelve_months)) == 1


def test_the_worker_announces_real_time_subscriptions_once(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    plan = {
        "product": product,
        "code": "yearly",
        "name": "Yearly",
        "interval_unit": "year",
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 99000}],
    }
    plan_id = api.ok("POST", "/v1/plans", 201, json=plan)["id"]
    customer = api.ok("POST", "/v1/customers", 201, json={"name": "Ion"})["id"]
    sub = api.ok("POST", "/v1/subscriptions", 201, json={"customer": customer, "plan": plan_id})
    renews = datetime.fromisoformat(sub["current_period_end"])
    for when, told in [
        (renews - timedelta(days=8), 0),
        (renews - timedelta(days=6), 1),
        (renews - timedelta(days=5), 1),  # told once
    ]:
        with unit_of_work(session_factory) as session:
            notices.announce_due(session, when)
        found = api.ok("GET", "/v1/events", params={"type": "invoice.upcoming"})["data"]
        assert [e["object_id"] for e in found] == [sub["id"]] * told, when
    assert renews - T0 > timedelta(days=364)
