"""GET /v1/metrics/trials, checkout, dunning, churn_kinds, cancellations and support on
both backends: a month walked on a test clock, counted by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import Api, Merchant
from tests.console.test_home import fold
from tests.factories import T0, open_support_request
from tests.scenarios.world import World


def at(month: int, d: int, hour: int = 9) -> datetime:
    return datetime(2026, month, d, hour, tzinfo=UTC)


def story(api: Api, factory: sessionmaker[Session]) -> dict[str, Any]:
    """January: Carmen's trial ends paid on the 15th; Dan's, without a card, ends unpaid
    and his retries run out (an involuntary churn); Eva's renewal on Feb 1 fails and is
    paid on a retry after she adds a good card; Ana cancels at once on Jan 20 with a
    reason (voluntary)."""
    world = World(api, at(1, 1), timezone="UTC")
    trial = world.plan(3000, name="Trial", trial_days=14)
    basic = world.plan(3000, name="Basic")
    carmen, dan = world.customer(), world.customer(card=None)
    world.subscribe(carmen, trial)
    world.subscribe(dan, trial, payment_behavior="allow_incomplete")
    eva, ana = world.customer(), world.customer()
    world.subscribe(eva, basic)
    anas = world.subscribe(ana, basic)
    world.advance_to(at(1, 20))
    api.ok("POST", f"/v1/subscriptions/{anas['id']}/cancel", json={"reason": "too_expensive"})
    world.card(eva, "tok_sandbox_declined", default=True)
    world.advance_to(at(2, 1, 12))
    world.card(eva, "tok_sandbox_visa", default=True)
    world.advance_to(at(2, 25))
    fold(factory)  # as the worker does
    return {"world": world, "carmen": carmen, "dan": dan, "eva": eva, "ana": ana, "trial": trial}


JAN_FEB = {"start": "2026-01-01", "end": "2026-02-28"}


def test_trial_conversion_and_dunning_recovery(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    found = story(api, session_factory)
    trials = api.ok("GET", "/v1/metrics/trials", params=JAN_FEB)["data"]
    assert [(t["ended"], t["converted"], t["conversion"]) for t in trials] == [
        (2, 1, 0.5),
        (0, 0, None),
    ]
    only = api.ok("GET", "/v1/metrics/trials", params={**JAN_FEB, "plan": "plan_none"})
    assert only["data"][0]["ended"] == 0
    by_plan = api.ok("GET", "/v1/metrics/trials", params={**JAN_FEB, "plan": found["trial"]})
    assert by_plan["data"][0]["ended"] == 2
    dunning = api.ok("GET", "/v1/metrics/dunning", params=JAN_FEB)["data"]
    # Dan's unpaid trial end (January, never recovered); Eva's failed renewal (February,
    # recovered).
    assert [(d["entered"], d["recovered"], d["recovery_rate"]) for d in dunning] == [
        (1, 0, 0.0),
        (1, 1, 1.0),
    ]


def test_voluntary_and_involuntary_churn(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    kinds = api.ok("GET", "/v1/metrics/churn_kinds", params={**JAN_FEB, "currency": "RON"})
    january, february = kinds["data"]
    assert (january["involuntary"], january["involuntary_mrr"]) == (1, 3000)  # Dan, Jan 22
    assert (january["voluntary"], january["voluntary_mrr"]) == (1, 3000)  # Ana, Jan 20
    assert (february["voluntary"], february["involuntary"]) == (0, 0)


def test_cancel_reasons(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    flows = api.ok("GET", "/v1/metrics/cancellations", params=JAN_FEB)["data"]
    assert flows[0]["flows"] == 1
    assert flows[0]["reasons"] == {"too_expensive": 1}
    assert (flows[0]["offered"], flows[0]["acceptance"]) == (0, None)
    assert flows[1]["flows"] == 0


def test_support_first_response(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    """Two requests opened three hours before the API's clock; one answered now."""
    ana, eva = (
        api.ok("POST", "/v1/customers", 201, json={"name": n, "email": f"{n}@example.ro"})["id"]
        for n in ("ana", "eva")
    )
    opened = T0 - timedelta(hours=3)
    request = open_support_request(session_factory, merchant.account_id, ana, now=opened)
    api.ok("POST", f"/v1/support_requests/{request}/reply", json={"body": "Verificăm."})
    open_support_request(session_factory, merchant.account_id, eva, now=opened)
    day = opened.date().isoformat()
    params = {"start": day, "end": day, "granularity": "day"}
    (found,) = api.ok("GET", "/v1/metrics/support", params=params)["data"]
    assert (found["requests"], found["answered"]) == (2, 1)
    assert found["median_seconds"] == found["p90_seconds"] == 3 * 3600


def test_checkout_conversion_and_csv(api: Api) -> None:
    world = World(api, at(1, 1), timezone="UTC")
    plan = world.plan(3000)
    for _ in range(3):
        api.ok(
            "POST",
            "/v1/checkout_sessions",
            201,
            json={"plan": plan, "success_url": "https://example.ro/ok"},
        )
    today = T0.date().isoformat()  # the API's fixed clock
    params = {"start": today, "end": today, "granularity": "day"}
    (day,) = api.ok("GET", "/v1/metrics/checkout", params=params)["data"]
    assert (day["created"], day["completed"], day["conversion"]) == (3, 0, 0.0)
    text = api.get("/v1/metrics/checkout", params={**params, "format": "csv"}).text
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["created"] == "3"
    assert set(row) >= {"opened", "details", "payment_method", "confirmed", "conversion"}
