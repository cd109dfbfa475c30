"""`convert=true` on GET /v1/metrics/churn, ltv, cac and cohorts, on both backends: a
business paid in lei and euros, with the National Bank's rates stored, gives
hand-computed numbers to the cent in the reporting currency; a missing rate is a
problem, not a guess."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tests.api.test_metric_ratios import at, fold, pick
from tests.conftest import Api
from tests.scenarios.world import World

Q1 = {"start": "2026-01-01", "end": "2026-03-31", "convert": "true"}
# 1 EUR in RON on the last business day of each month (Jan 31 and Feb 28 are weekends:
# the rates of Jan 30 and Feb 27 stay in force).
RATES = (("2026-01-30", "5.0000"), ("2026-02-27", "4.9771"), ("2026-03-31", "5.0865"))


def story(api: Api, factory: sessionmaker[Session]) -> dict[str, str]:
    """Ana (google_ads) pays 30.00 lei from Jan 1 and leaves on Mar 2; Bogdan
    (newsletter) pays 10.00 euros from Jan 1 and 20.00 euros from Feb 10."""
    world = World(api, at(1, 1), timezone="UTC")
    prices = [{"currency": "RON", "amount": 3000}, {"currency": "EUR", "amount": 1000}]
    basic = world.plan(3000, name="Basic", prices=prices)
    pro = world.plan(
        6000,
        name="Pro",
        prices=[{"currency": "RON", "amount": 6000}, {"currency": "EUR", "amount": 2000}],
    )
    ana = world.customer(country="RO", acquisition_channel="google_ads")
    bogdan = world.customer(country="DE", acquisition_channel="newsletter", currency="EUR")
    first = world.subscribe(ana, basic)
    second = world.subscribe(bogdan, basic, currency="EUR")
    world.advance_to(at(2, 10))
    world.act(second["id"], "change", plan=pro)
    world.advance_to(at(3, 2))
    world.act(first["id"], "cancel")
    world.advance_to(at(4, 1))
    fold(factory)
    for day, rate in RATES:
        body = {"date": day, "base": "EUR", "quote": "RON", "rate": rate}
        api.ok("POST", "/v1/exchange_rates", 201, json=body)
    return {"ana": ana, "bogdan": bogdan}


def test_churn_of_two_currencies_in_lei(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    # Without `currency`: the reporting currency (the account's, RON).
    data = api.ok("GET", "/v1/metrics/churn", params=Q1)["data"]
    assert {p["currency"] for p in data} == {"RON"}
    # January at 5.0000: 30.00 lei + 10.00 euros = 80.00 lei, all new business.
    # February at 4.9771: 30.00 lei + 10.00 euros (49.77) open, 20.00 euros (99.54) close:
    # 49.77 of expansion. March at 5.0865: 30.00 lei + 20.00 euros (101.73) open, Ana's
    # 30.00 lei leave.
    assert pick(data, "opening_mrr", "closing_mrr", "customers_at_start", "customers_at_end") == [
        (0, 8000, 0, 2),
        (7977, 12954, 2, 2),
        (13173, 10173, 2, 1),
    ]
    assert [p["movements"]["new"] for p in data] == [8000, 0, 0]
    assert [p["movements"]["expansion"] for p in data] == [0, 4977, 0]
    assert [p["movements"]["churn"] for p in data] == [0, 0, -3000]
    assert pick(data, "new_customers", "churned_customers") == [(2, 0), (0, 0), (0, 1)]
    assert pick(data, "logo_churn_rate", "gross_revenue_churn", "net_revenue_churn") == [
        (None, None, None),
        (0.0, 0.0, -0.623919),
        (0.5, 0.227739, 0.227739),
    ]
    assert pick(data, "nrr", "grr") == [(None, None), (1.623919, 1.0), (0.772261, 0.772261)]
    # The closing MRR is what /v1/metrics/mrr converts at the same rates.
    mrr = api.ok("GET", "/v1/metrics/mrr", params={**Q1, "currency": "RON"})["data"]
    assert [p["mrr"] for p in mrr] == [p["closing_mrr"] for p in data]
    # Without `convert`, one currency only, as before.
    lei = api.ok("GET", "/v1/metrics/churn", params={**Q1, "convert": "false"})["data"]
    assert [p["closing_mrr"] for p in lei] == [3000, 3000, 0]
    # Filters pick the customers before the currencies are combined.
    ads = api.ok("GET", "/v1/metrics/churn", params={**Q1, "channel": "newsletter"})["data"]
    assert [p["closing_mrr"] for p in ads] == [5000, 9954, 10173]


def test_churn_in_euros(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    data = api.ok("GET", "/v1/metrics/churn", params={**Q1, "currency": "EUR"})["data"]
    # Lei in euros: 30.00 / 5.0000 = 6.00; / 4.9771 = 6.03 (6.0276); / 5.0865 = 5.90 (5.8980).
    assert pick(data, "opening_mrr", "closing_mrr") == [(0, 1600), (1603, 2603), (2590, 2000)]
    assert [p["movements"]["churn"] for p in data] == [0, 0, -590]
    assert data[2]["gross_revenue_churn"] == 0.227799  # 5.90 / 25.90


def test_ltv_and_cac_of_two_currencies(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    for channel, amount, currency in (("google_ads", 10000, "EUR"), ("newsletter", 20000, "RON")):
        body = {
            "month": "2026-01",
            "channel": channel,
            "amount": {"amount": amount, "currency": currency},
        }
        api.ok("POST", "/v1/acquisition_spend", 201, json=body)
    january, february, march = api.ok("GET", "/v1/metrics/ltv", params=Q1)["data"]
    assert (january["mrr"], january["customers"], january["arpa"]) == (8000, 2, 4000)
    assert (february["arpa"], february["ltv"]) == (6477, None)
    # March: 101.73 lei from Bogdan alone; half the customers left: LTV 203.46.
    assert (march["arpa"], march["logo_churn_rate"], march["ltv"]) == (10173, 0.5, 20346)
    # January: 100.00 euros (500.00 lei at 5.0000) and 200.00 lei spent, one customer
    # from each channel, one in each currency: CAC 350.00; payback 350.00 / 40.00.
    assert (january["spend"], january["acquired"], january["cac"]) == (70000, 2, 35000)
    assert january["payback_months"] == 8.75
    channels = {c["channel"]: c for c in january["channels"]}
    assert pick([channels["google_ads"]], "spend", "acquired", "cac", "payback_months") == [
        (50000, 1, 50000, 12.5)
    ]
    assert pick([channels["newsletter"]], "spend", "acquired", "cac") == [(20000, 1, 20000)]
    cac = api.ok("GET", "/v1/metrics/cac", params={**Q1, "currency": "EUR"})["data"]
    # In euros: 100.00 + 200.00 lei / 5.0000 = 140.00 spent, CAC 70.00.
    assert (cac[0]["spend"], cac[0]["cac"]) == (14000, 7000)


def test_cohorts_of_two_currencies(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    params = {"start": "2026-01-01", "end": "2026-03-01", "until": "2026-03-31", "convert": "true"}
    table = api.ok("GET", "/v1/metrics/cohorts", params=params)
    (january,) = table["data"]
    # One cohort of two customers, one per currency; each month's cell at its end's rate.
    assert (january["month"], january["size"]) == ("2026-01", 2)
    assert january["customers"] == [2, 2, 1]
    assert january["revenue"] == [8000, 12954, 10173]
    assert table["revenue"] == [8000, 12954, 10173]
    # Mid-month, the cells of `until`'s month are converted at its rate.
    mid: dict[str, Any] = {**params, "until": "2026-03-01"}
    assert api.ok("GET", "/v1/metrics/cohorts", params=mid)["revenue"] == [8000, 12954, 12954]


def test_a_missing_rate_is_a_problem(api: Api, session_factory: sessionmaker[Session]) -> None:
    story(api, session_factory)
    early = {"start": "2026-01-01", "end": "2026-01-20", "convert": "true"}
    for path, params in (
        ("/v1/metrics/churn", early),
        ("/v1/metrics/ltv", early),
        ("/v1/metrics/cac", early),
        ("/v1/metrics/cohorts", {**early, "until": "2026-01-20"}),
    ):
        problem = api.get(path, params=params)
        assert problem.status_code == 422, path
        assert problem.headers["content-type"].startswith("application/problem+json")
        assert "no EUR/RON rate on or before 2026-01-20" in problem.json()["detail"], path
    # A range with nothing to convert needs no rate.
    before = {"start": "2025-11-01", "end": "2025-12-31", "convert": "true"}
    assert [
        p["closing_mrr"] for p in api.ok("GET", "/v1/metrics/churn", params=before)["data"]
    ] == [0, 0]
