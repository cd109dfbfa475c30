"""Engagement through the API: activity pings (counted once a day per feature), usage
events as activity, active customers per day, week and month, usage per feature with
onboarding completion, and the at-risk list with its reasons and actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import T0, Api, Merchant
from tests.scenarios.world import World, iso

from recura.clock import FixedClock

DAY = timedelta(days=1)


def customer(api: Api, **body: Any) -> str:
    return str(api.ok("POST", "/v1/customers", 201, json=body)["id"])


def ping(api: Api, customer_id: str, status: int = 200, **body: Any) -> Any:
    return api.ok("POST", f"/v1/customers/{customer_id}/activity", status, json=body)


def test_pings_make_one_row_per_day_and_feature(api: Api, clock: FixedClock) -> None:
    ana = customer(api)
    first = ping(api, ana)
    assert first == {
        "object": "customer_activity",
        "customer": ana,
        "day": T0.date().isoformat(),
        "feature": None,
        "count": 1,
        "last_at": iso(T0),
    }
    assert ping(api, ana)["count"] == 2
    assert api.ok("POST", f"/v1/customers/{ana}/activity")["count"] == 3  # no body at all
    assert ping(api, ana, feature="reports")["count"] == 1
    earlier = iso(T0 - timedelta(hours=1))
    again = ping(api, ana, feature="reports", at=earlier)
    assert (again["count"], again["last_at"]) == (2, iso(T0))  # the latest time stays
    yesterday = ping(api, ana, feature="reports", at=iso(T0 - DAY))
    assert (yesterday["day"], yesterday["count"]) == ((T0 - DAY).date().isoformat(), 1)
    # A retry with the same Idempotency-Key is answered once and not counted again.
    headers = {"Idempotency-Key": "ping-1"}
    once = api.ok("POST", f"/v1/customers/{ana}/activity", json={}, headers=headers)
    twice = api.ok("POST", f"/v1/customers/{ana}/activity", json={}, headers=headers)
    assert once == twice
    assert once["count"] == 4

    found = api.ok("GET", "/v1/engagement/active_customers", params={"from": "2026-01-14"})
    assert [b["active_customers"] for b in found["data"]] == [1, 1]
    assert found["as_of"] == {"day": "2026-01-15", "dau": 1, "wau": 1, "mau": 1}
    uses = api.ok("GET", "/v1/engagement/features", params={"from": "2026-01-15"})
    assert uses["data"] == [
        {"feature": None, "customers": 1, "uses": 4},
        {"feature": "reports", "customers": 1, "uses": 2},
    ]


def test_pings_are_checked(api: Api, merchant: Merchant) -> None:
    ana = customer(api)
    cases = [
        ({"at": iso(T0 + timedelta(minutes=6))}, "/at"),
        ({"at": iso(T0 - timedelta(days=7, seconds=1))}, "/at"),
        ({"feature": "a b"}, "/feature"),
        ({"feature": "x" * 65}, "/feature"),
        ({"extra": 1}, "/extra"),
    ]
    for body, pointer in cases:
        response = api.post(f"/v1/customers/{ana}/activity", json=body)
        assert response.status_code == 422, body
        assert [e["pointer"] for e in response.json()["errors"]] == ["#" + pointer]
    ping(api, ana, at=iso(T0 + timedelta(minutes=4)))
    assert api.post("/v1/customers/cus_nope/activity", json={}).status_code == 404
    assert merchant.live.post(f"/v1/customers/{ana}/activity", json={}).status_code == 404
    assert merchant.live.ok("GET", "/v1/engagement/features")["data"] == []


def test_a_customer_on_a_test_clock_pings_in_its_time(api: Api) -> None:
    world = World(api, T0 - timedelta(days=60))
    ana = world.customer(card=None)
    assert ping(api, ana)["day"] == (T0 - timedelta(days=60)).date().isoformat()
    response = api.post(f"/v1/customers/{ana}/activity", json={"at": iso(T0)})
    assert response.status_code == 422  # the clock's future


def test_usage_events_count_as_activity_once(api: Api) -> None:
    ana, bob = customer(api), customer(api)
    events = [
        {"transaction_id": f"t{n}", "customer": who, "code": "api_calls", "timestamp": iso(T0)}
        for n, who in enumerate([ana, ana, bob])
    ]
    events.append(
        {"transaction_id": "t9", "customer": ana, "code": "exports", "timestamp": iso(T0 - DAY)}
    )
    api.ok("POST", "/v1/usage_events", json={"events": events})
    api.ok("POST", "/v1/usage_events", json={"events": events[:2]})  # duplicates: not counted
    uses = api.ok("GET", "/v1/engagement/features", params={"from": "2026-01-14"})
    assert uses["data"] == [
        {"feature": "api_calls", "customers": 2, "uses": 3},
        {"feature": "exports", "customers": 1, "uses": 1},
    ]
    assert uses["active_customers"] == 2
    days = api.ok("GET", "/v1/engagement/active_customers", params={"from": "2026-01-14"})
    assert [b["active_customers"] for b in days["data"]] == [1, 2]


def test_active_customers_per_day_week_and_month(api: Api, clock: FixedClock) -> None:
    ana, bob, eva = customer(api), customer(api), customer(api)
    # Thursday 15 January 2026: Ana every day of a fortnight, Bob on Mondays, Eva once.
    for n in range(14):
        ping(api, ana)
        if clock.now().weekday() == 0:
            ping(api, bob, feature="reports")
        if n == 3:
            ping(api, eva)
        clock.advance(DAY)
    clock.advance(-DAY)  # the 28th, a Wednesday
    daily = api.ok("GET", "/v1/engagement/active_customers")
    assert (daily["from"], daily["to"]) == ("2025-12-30", "2026-01-28")
    counts = {b["start"]: b["active_customers"] for b in daily["data"]}
    assert (counts["2026-01-14"], counts["2026-01-18"], counts["2026-01-19"]) == (0, 2, 2)
    assert counts["2026-01-26"] == 2
    assert counts["2026-01-27"] == 1
    assert daily["as_of"] == {"day": "2026-01-28", "dau": 1, "wau": 2, "mau": 3}
    # 14 days with Ana, 2 Mondays with Bob, 1 day with Eva: 17 over 30 days of 3
    assert daily["stickiness"] == round(17 / 90, 4)
    weeks = api.ok(
        "GET",
        "/v1/engagement/active_customers",
        params={"granularity": "week", "from": "2026-01-12", "to": "2026-01-28"},
    )
    assert [(b["start"], b["end"], b["active_customers"]) for b in weeks["data"]] == [
        ("2026-01-12", "2026-01-19", 2),
        ("2026-01-19", "2026-01-26", 2),
        ("2026-01-26", "2026-02-02", 2),
    ]
    months = api.ok(
        "GET",
        "/v1/engagement/active_customers",
        params={"granularity": "month", "from": "2025-12-01", "to": "2026-02-10"},
    )
    assert [b["active_customers"] for b in months["data"]] == [0, 3, 0]
    for params in [
        {"granularity": "year"},
        {"from": "2026-01-10", "to": "2026-01-01"},
        {"from": "2025-01-01", "to": "2026-01-01"},
        {"from": "yesterday"},
        {"from": "0001-01-01", "to": "0001-01-05"},
        {"to": "9999-12-31", "granularity": "month"},
    ]:
        response = api.get("/v1/engagement/active_customers", params=params)
        assert response.status_code == 422, params


def test_onboarding_completion_among_live_subscribers(api: Api) -> None:
    world = World(api, T0)
    plan = world.plan(0)
    texts = {"en": {"title": "Connect your bank"}}
    for code in ("bank", "team"):
        api.ok("POST", "/v1/onboarding_steps", 201, json={"code": code, "texts": texts})
    done, halfway = world.customer(card=None), world.customer(card=None)
    world.customer(card=None)  # no subscription: not counted
    for who in (done, halfway):
        world.subscribe(who, plan)
    for who, steps in ((done, ["bank", "team"]), (halfway, ["bank"])):
        for step in steps:
            api.ok("POST", f"/v1/customers/{who}/onboarding_steps/{step}/complete")
    found = api.ok("GET", "/v1/engagement/features")["onboarding"]
    assert found == {"customers": 2, "completed": 1, "rate": 0.5, "step_rate": 0.75}


def test_at_risk_lists_each_reason_with_its_actions(api: Api, clock: FixedClock) -> None:
    start = clock.now()
    faded, steady = customer(api, name="Faded"), customer(api, name="Steady")
    for n in range(42):
        if n < 28:
            ping(api, faded)
        if n % 2 == 0:
            ping(api, steady)
        clock.advance(DAY)
    clock.advance(-DAY)
    world = World(api, start)
    plan = world.plan(4900)
    leaving = world.customer(name="Leaving", email="leaving@example.ro")
    sub = world.subscribe(leaving, plan)["id"]
    world.act(sub, "cancel", at_period_end=True)
    unpaid = world.customer(card="tok_sandbox_declined", name="Unpaid")
    world.subscribe(unpaid, plan)
    world.advance_to(start + timedelta(minutes=1))  # its first charge, declined

    found = api.ok("GET", "/v1/engagement/at_risk")
    assert found["as_of"] == (start + 41 * DAY).date().isoformat()
    by_customer = {r["customer"]: r for r in found["data"]}
    assert set(by_customer) == {faded, leaving, unpaid}
    assert [r["customer"] for r in found["data"]] == [leaving, unpaid, faded]
    assert by_customer[faded]["reasons"] == [
        {
            "code": "activity_fell",
            "cancels_on": None,
            "invoices": None,
            "active_days_per_week_before": 7.0,
            "active_days_per_week_recent": 0.0,
        }
    ]
    (cancel,) = by_customer[leaving]["reasons"]
    period_end = world.subscription(sub)["current_period_end"][:10]
    assert (cancel["code"], cancel["cancels_on"]) == ("cancellation_scheduled", period_end)
    assert [r["code"] for r in by_customer[unpaid]["reasons"]] == ["payment_failed"]
    assert by_customer[unpaid]["reasons"][0]["invoices"] == 1
    assert by_customer[leaving]["score"] == 50
    assert (by_customer[leaving]["name"], by_customer[leaving]["email"]) == (
        "Leaving",
        "leaving@example.ro",
    )
    action = by_customer[leaving]["actions"]["portal_session"]
    assert action == {
        "method": "POST",
        "path": "/v1/portal_sessions",
        "body": {"customer": leaving},
    }
    assert api.ok("POST", action["path"], 201, json=action["body"])["customer"] == leaving
    customer_action = by_customer[faded]["actions"]["customer"]
    assert api.ok(customer_action["method"], customer_action["path"])["id"] == faded
    # A drop of 100 % only: Faded's activity fell to none, which is still a full drop.
    strict = api.ok("GET", "/v1/engagement/at_risk", params={"drop": 1})
    assert faded not in {r["customer"] for r in strict["data"]}
    assert api.ok("GET", "/v1/engagement/at_risk", params={"limit": 1})["has_more"] is True
    assert api.get("/v1/engagement/at_risk", params={"drop": 0}).status_code == 422
