"""GET /v1/metrics/churn, ltv, cac and cohorts on both backends: hand-computed ratios
of a three-month story, the filters, CSV, and refusals."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import Api, Merchant
from tests.scenarios.world import World

from recura.core import metrics
from recura.core.metrics import Movement, MovementType
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.metrics import ratios, repository, rollups
from recura.domains.metrics.reads import Granularity


def at(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, tzinfo=UTC)


def fold(factory: sessionmaker[Session]) -> None:
    while True:
        with unit_of_work(factory) as session:
            if rollups.fold_events(session) == 0:
                return


def story(api: Api, factory: sessionmaker[Session]) -> dict[str, str]:
    """Ana (RO, google_ads) pays 30.00 from Jan 1, moves to 60.00 on Feb 10 and leaves on
    Mar 2; Bogdan (DE, newsletter) pays 60.00 from Jan 1."""
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
    world.advance_to(at(4, 1))
    fold(factory)
    return {"ana": ana, "bogdan": bogdan}


Q1 = {"start": "2026-01-01", "end": "2026-03-31", "currency": "RON"}


def pick(points: list[dict[str, Any]], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(p[n] for n in names) for p in points]


def test_churn_and_retention_by_hand(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    data = api.ok("GET", "/v1/metrics/churn", params=Q1)["data"]
    # January: nothing to churn from. February: 90.00 open, Ana grows by 30.00 (NRR 4/3,
    # net revenue churn -1/3). March: 120.00 open, Ana's 60.00 leaves (half the logos,
    # half the revenue).
    assert pick(data, "opening_mrr", "closing_mrr", "customers_at_start", "customers_at_end") == [
        (0, 9000, 0, 2),
        (9000, 12000, 2, 2),
        (12000, 6000, 2, 1),
    ]
    assert pick(data, "logo_churn_rate", "gross_revenue_churn", "net_revenue_churn") == [
        (None, None, None),
        (0.0, 0.0, -0.333333),
        (0.5, 0.5, 0.5),
    ]
    assert pick(data, "nrr", "grr") == [(None, None), (1.333333, 1.0), (0.5, 0.5)]
    assert data[0]["new_customers"] == 2
    assert data[2]["movements"]["churn"] == -6000


def test_filters_split_the_whole(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    whole = api.ok("GET", "/v1/metrics/churn", params=Q1)["data"]
    ro = api.ok("GET", "/v1/metrics/churn", params={**Q1, "country": "RO"})["data"]
    de = api.ok("GET", "/v1/metrics/churn", params={**Q1, "country": "DE"})["data"]
    for w, a, b in zip(whole, ro, de, strict=True):
        for name in ("opening_mrr", "closing_mrr", "customers_at_start", "churned_customers"):
            assert w[name] == a[name] + b[name]
    assert ro[2]["logo_churn_rate"] == 1.0  # Ana was the only RO customer
    by_channel = api.ok("GET", "/v1/metrics/churn", params={**Q1, "channel": "newsletter"})
    assert [p["closing_mrr"] for p in by_channel["data"]] == [6000, 6000, 6000]


def test_the_rollups_path_equals_the_whole_history_path(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    """The reads take the opening from the daily totals and the movers of a period; the
    definition reads every customer's whole history. Both give the same flows."""
    story(api, session_factory)
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(session_factory) as session:
        chosen = ratios.account_metrics(session, tenant).settings
        history = [
            Movement(day, customer, currency, MovementType(kind), amount)
            for day, customer, currency, kind, amount in repository.movement_rows(
                session, tenant, None, at(3, 31).date(), "RON"
            )
        ]
        for granularity in Granularity:
            args = (session, tenant, at(1, 1).date(), at(3, 31).date(), granularity, "RON")
            for p in ratios.flows(*args):
                after = p.end + timedelta(days=1)
                flow, _ = metrics.period_flow(history, "RON", p.start, after, chosen)
                paying = metrics.standings(history, "RON", after)
                assert (p.flow, p.customers_at_end) == (
                    flow,
                    sum(1 for s in paying.values() if s.mrr > 0),
                )


def test_ltv_and_cac_per_month(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    for month, channel, amount in (("2026-01", "google_ads", 10000), ("2026-01", "radio", 500)):
        api.ok(
            "POST",
            "/v1/acquisition_spend",
            201,
            json={
                "month": month,
                "channel": channel,
                "amount": {"amount": amount, "currency": "RON"},
            },
        )
    january, february, march = api.ok("GET", "/v1/metrics/ltv", params=Q1)["data"]
    assert (january["arpa"], january["ltv"]) == (4500, None)
    assert (march["arpa"], march["logo_churn_rate"], march["ltv"]) == (6000, 0.5, 12000)
    # January: 105.00 spent, two customers acquired: CAC 52.50; payback 52.50 / 45.00.
    assert (january["spend"], january["acquired"], january["cac"]) == (10500, 2, 5250)
    assert january["payback_months"] == 1.17
    channels = {c["channel"]: c for c in january["channels"]}
    assert channels["google_ads"]["cac"] == 10000
    assert channels["newsletter"]["cac"] is None  # customers, but no spend
    assert channels["radio"]["acquired"] == 0
    assert channels["radio"]["cac"] is None
    assert february["cac"] is None  # no spend that month
    text = api.get("/v1/metrics/cac", params={**Q1, "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["channel"] for r in rows} == {"all", "google_ads", "newsletter", "radio"}
    response = api.get("/v1/metrics/ltv", params={**Q1, "granularity": "week"})
    assert response.status_code == 422


def test_cohorts_by_signup_month(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    params = {"start": "2026-01-01", "end": "2026-03-01", "until": "2026-03-31"}
    table = api.ok("GET", "/v1/metrics/cohorts", params={**params, "currency": "RON"})
    assert table["months"] == 3
    (january,) = table["data"]
    assert (january["month"], january["size"]) == ("2026-01", 2)
    assert january["customers"] == [2, 2, 1]
    assert january["revenue"] == [9000, 12000, 6000]
    assert table["revenue"] == [9000, 12000, 6000]
    text = api.get("/v1/metrics/cohorts", params={**params, "format": "csv"}).text
    assert text.splitlines()[1].startswith("2026-01,2,2,2,1,9000,12000,6000")


def test_churn_as_csv_and_bad_ranges(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    response = api.get("/v1/metrics/churn", params={**Q1, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["nrr"] for r in rows] == ["", "1.333333", "0.5"]
    backwards = api.get("/v1/metrics/churn", params={"start": "2026-03-01", "end": "2026-01-01"})
    assert backwards.status_code == 422
    assert backwards.headers["content-type"].startswith("application/problem+json")
    bad_channel = api.get("/v1/metrics/churn", params={**Q1, "channel": "Not A Slug"})
    assert bad_channel.status_code == 422
