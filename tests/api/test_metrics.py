"""GET /v1/metrics/mrr and /v1/metrics/mrr_movements, read from the rollups: per month,
week and day, one currency or converted, filtered by country, and as CSV."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import Api
from tests.scenarios.world import World

from recura.db.unit_of_work import unit_of_work
from recura.domains.metrics import rollups


def at(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, tzinfo=UTC)


def fold(factory: sessionmaker[Session]) -> None:
    while True:
        with unit_of_work(factory) as session:
            if rollups.fold_events(session) == 0:
                return


def setup(api: Api, factory: sessionmaker[Session]) -> dict[str, str]:
    world = World(api, at(1, 1), timezone="UTC")
    basic, pro = world.plan(3000, name="Basic"), world.plan(6000, name="Pro")
    ana = world.customer(country="RO", acquisition_channel="google_ads")
    bogdan = world.customer(country="DE", acquisition_channel="newsletter")
    first = world.subscribe(ana, basic)
    world.subscribe(bogdan, pro)
    world.advance_to(at(2, 10))
    world.act(first["id"], "change", plan=pro)
    world.advance_to(at(3, 2))
    world.act(first["id"], "cancel")
    fold(factory)
    return {"ana": ana, "bogdan": bogdan}


def month(points: list[dict[str, Any]]) -> list[tuple[str, int, int, int, int]]:
    return [
        (
            p["start"],
            p["mrr"],
            p["movements"]["new"],
            p["movements"]["expansion"],
            p["movements"]["churn"],
        )
        for p in points
    ]


def test_mrr_per_month_week_and_day(api: Api, session_factory: sessionmaker[Session]) -> None:
    setup(api, session_factory)
    params = {"start": "2026-01-01", "end": "2026-03-31", "currency": "RON"}
    monthly = api.ok("GET", "/v1/metrics/mrr", params=params)
    assert monthly["granularity"] == "month"
    assert month(monthly["data"]) == [
        ("2026-01-01", 9000, 9000, 0, 0),
        ("2026-02-01", 12000, 0, 3000, 0),
        ("2026-03-01", 6000, 0, 0, -6000),
    ]
    assert monthly["data"][0]["customers"]["new"] == 2
    weekly = api.ok("GET", "/v1/metrics/mrr", params={**params, "granularity": "week"})
    # 2026-01-01 is a Thursday: the first week is cut at the range's start.
    assert weekly["data"][0]["start"] == "2026-01-01"
    assert weekly["data"][1]["start"] == "2026-01-05"
    daily = api.ok(
        "GET",
        "/v1/metrics/mrr",
        params={"start": "2026-02-09", "end": "2026-02-10", "granularity": "day"},
    )
    assert [(p["start"], p["mrr"]) for p in daily["data"]] == [
        ("2026-02-09", 9000),
        ("2026-02-10", 12000),
    ]


def test_country_filter_and_the_customers_behind(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    who = setup(api, session_factory)
    params = {"start": "2026-01-01", "end": "2026-03-31", "country": "DE"}
    german = api.ok("GET", "/v1/metrics/mrr", params=params)
    assert [p["mrr"] for p in german["data"]] == [6000, 6000, 6000]
    behind = api.ok("GET", "/v1/metrics/mrr_movements", params={**params, "country": "RO"})
    assert [(m["day"], m["customer"], m["type"], m["amount"]) for m in behind["data"]] == [
        ("2026-01-01", who["ana"], "new", 3000),
        ("2026-02-10", who["ana"], "expansion", 3000),
        ("2026-03-02", who["ana"], "churn", -6000),
    ]
    churned = api.ok(
        "GET",
        "/v1/metrics/mrr_movements",
        params={"start": "2026-01-01", "end": "2026-03-31", "type": "churn"},
    )
    assert [m["customer"] for m in churned["data"]] == [who["ana"]]


def test_channel_filter_on_mrr_its_movements_and_their_csv(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    who = setup(api, session_factory)
    params = {
        "start": "2026-01-01",
        "end": "2026-03-31",
        "currency": "RON",
        "channel": "google_ads",
    }
    ads = api.ok("GET", "/v1/metrics/mrr", params=params)["data"]
    assert month(ads) == [
        ("2026-01-01", 3000, 3000, 0, 0),
        ("2026-02-01", 6000, 0, 3000, 0),
        ("2026-03-01", 0, 0, 0, -6000),
    ]
    newsletter = api.ok("GET", "/v1/metrics/mrr", params={**params, "channel": "newsletter"})
    assert [p["mrr"] for p in newsletter["data"]] == [6000, 6000, 6000]
    both = api.ok("GET", "/v1/metrics/mrr", params={**params, "country": "DE"})["data"]
    assert [p["mrr"] for p in both] == [0, 0, 0]  # Bogdan is German, but not from ads
    behind = api.ok("GET", "/v1/metrics/mrr_movements", params=params)["data"]
    assert {m["customer"] for m in behind} == {who["ana"]}
    text = api.get("/v1/metrics/mrr", params={**params, "format": "csv"}).text
    assert [line.split(",")[3] for line in text.splitlines()[1:]] == ["3000", "6000", "0"]
    listed = api.get("/v1/metrics/mrr_movements", params={**params, "format": "csv"}).text
    assert len(listed.splitlines()) == 4  # header and Ana's three movements
    unknown = api.ok("GET", "/v1/metrics/mrr", params={**params, "channel": "radio"})["data"]
    assert [p["mrr"] for p in unknown] == [0, 0, 0]
    assert api.get("/v1/metrics/mrr", params={**params, "channel": "Radio!"}).status_code == 422


def test_converted_to_a_reporting_currency(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    setup(api, session_factory)
    rate = {"date": "2026-01-30", "base": "EUR", "quote": "RON", "rate": "5.0000"}
    api.ok("POST", "/v1/exchange_rates", 201, json=rate)
    params = {"start": "2026-01-01", "end": "2026-01-31", "currency": "EUR", "convert": "true"}
    converted = api.ok("GET", "/v1/metrics/mrr", params=params)["data"]
    assert [(p["currency"], p["mrr"], p["movements"]["new"]) for p in converted] == [
        ("EUR", 1800, 1800)
    ]
    missing = api.get(
        "/v1/metrics/mrr", params={**params, "start": "2025-12-01", "end": "2025-12-31"}
    )
    # No MRR yet: nothing to convert, so no rate is needed.
    assert missing.status_code == 200
    too_early = {**params, "start": "2026-01-01", "end": "2026-01-20"}
    problem = api.get("/v1/metrics/mrr", params=too_early)
    assert problem.status_code == 422
    assert "no RON/EUR rate" in problem.json()["detail"]


def test_csv_by_accept_header_or_format(api: Api, session_factory: sessionmaker[Session]) -> None:
    setup(api, session_factory)
    params = {"start": "2026-01-01", "end": "2026-01-31"}
    by_header = api.get("/v1/metrics/mrr", params=params, headers={"Accept": "text/csv"})
    assert by_header.headers["content-type"].startswith("text/csv")
    lines = by_header.text.splitlines()
    assert lines[0].startswith("start,end,currency,mrr,new,expansion")
    assert lines[1].startswith("2026-01-01,2026-01-31,RON,9000,9000,0")
    by_format = api.get("/v1/metrics/mrr_movements", params={**params, "format": "csv"})
    assert by_format.text.splitlines()[0] == "day,customer,currency,type,amount"
    assert len(by_format.text.splitlines()) == 3


def test_wrong_ranges_are_problems(api: Api) -> None:
    backwards = api.get("/v1/metrics/mrr", params={"start": "2026-02-01", "end": "2026-01-01"})
    assert backwards.status_code == 422
    assert backwards.headers["content-type"].startswith("application/problem+json")
    too_long = api.get("/v1/metrics/mrr", params={"start": "2000-01-01", "end": "2026-01-01"})
    assert too_long.status_code == 422
    not_a_day = api.get("/v1/metrics/mrr_movements", params={"start": "0", "end": "2026-01-01"})
    assert not_a_day.status_code == 422


def test_subscribers_counted_per_status(api: Api, session_factory: sessionmaker[Session]) -> None:
    setup(api, session_factory)
    every = api.ok("GET", "/v1/metrics/subscribers")
    assert every == {
        "object": "subscribers_by_status",
        "currency": None,
        "data": {"active": 1, "canceled": 1},
    }
    euro = api.ok("GET", "/v1/metrics/subscribers", params={"currency": "EUR"})
    assert euro["data"] == {}
    # Ana's subscription moved from Basic to Pro before she canceled it.
    pro = api.ok("GET", f"/v1/subscriptions/{every_sub(api)}")["plan"]
    plan = api.ok("GET", f"/v1/plans/{pro}")
    for params, counts in (
        ({"plan": pro}, {"active": 1, "canceled": 1}),
        ({"product": plan["product"]}, {"active": 1, "canceled": 1}),
        ({"country": "DE"}, {"active": 1}),
        ({"channel": "google_ads"}, {"canceled": 1}),
        ({"country": "RO", "plan": pro}, {"canceled": 1}),
    ):
        assert api.ok("GET", "/v1/metrics/subscribers", params=params)["data"] == counts, params


def every_sub(api: Api) -> str:
    return str(api.ok("GET", "/v1/subscriptions")["data"][0]["id"])
