"""The account's metric settings in the rollups and the reads, on both backends: each
switch walked on a test clock with hand-computed movements; changing a folded setting
recounts the account's history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.core.metrics import DiscountPolicy, MetricSettings, RecurringTerms, subscription_mrr
from recura.core.money import Money
from recura.db.models import MrrMovement
from recura.db.models.metric_rollup_daily import ALL
from recura.db.unit_of_work import unit_of_work
from recura.domains.metrics import rollups
from tests.conftest import Api, Merchant
from tests.scenarios.world import World


def at(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 9, tzinfo=UTC)


def fold_all(factory: sessionmaker[Session]) -> None:
    while True:
        with unit_of_work(factory) as session:
            if rollups.fold_events(session) == 0:
                return


def movements(factory: sessionmaker[Session], account: str) -> list[tuple[date, str, int]]:
    with unit_of_work(factory) as session:
        rows = session.scalars(
            select(MrrMovement)
            .where(MrrMovement.account_id == account, MrrMovement.scope == ALL)
            .order_by(MrrMovement.day, MrrMovement.customer_id)
        )
        return [(r.day, r.type, r.amount) for r in rows]


def settings_patch(api: Api, **values: Any) -> dict[str, Any]:
    found = api.ok("PATCH", "/v1/account", json={"metric_settings": values})
    return dict(found["metric_settings"])


def test_defaults_are_documented_and_every_setting_is_returned(api: Api) -> None:
    found = api.ok("GET", "/v1/account")["metric_settings"]
    assert found == {
        "discounts": "all",
        "churn_timing": "period_end",
        "reactivation_window_days": None,
        "include_metered": False,
        "gross_margin": "1",
        "reporting_currency": None,
    }
    changed = settings_patch(
        api, discounts="forever_only", include_metered=True, gross_margin="0.8"
    )
    assert changed["discounts"] == "forever_only"
    assert changed["include_metered"] is True
    assert changed["gross_margin"] == "0.8"
    # A field left out keeps its value; null clears the clearable ones.
    assert settings_patch(api, reporting_currency="EUR")["gross_margin"] == "0.8"
    assert settings_patch(api, reporting_currency=None)["reporting_currency"] is None


def test_impossible_settings_are_problems(api: Api) -> None:
    for bad in (
        {"gross_margin": "1.5"},
        {"gross_margin": "-0.1"},
        {"discounts": "some"},
        {"churn_timing": "never"},
        {"reactivation_window_days": -1},
        {"reporting_currency": "euro"},
    ):
        response = api.request("PATCH", "/v1/account", json={"metric_settings": bad})
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")


def test_churn_at_cancellation_or_at_period_end(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    """Ana pays 30.00 a month from Jan 1 and on Mar 10 asks to cancel at the period end
    (Apr 1). At period end (the default) the churn is dated Apr 1; counted at cancellation
    it is dated Mar 10, the day she asked. Switching the setting recounts the history."""
    world = World(api, at(1, 1), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(3000))
    world.advance_to(at(3, 10))
    world.act(sub["id"], "cancel", at_period_end=True)
    world.advance_to(at(4, 2))
    fold_all(session_factory)
    assert movements(session_factory, merchant.account_id) == [
        (date(2026, 1, 1), "new", 3000),
        (date(2026, 4, 1), "churn", -3000),
    ]
    settings_patch(api, churn_timing="cancellation")
    assert movements(session_factory, merchant.account_id) == [
        (date(2026, 1, 1), "new", 3000),
        (date(2026, 3, 10), "churn", -3000),
    ]
    settings_patch(api, churn_timing="period_end")
    assert movements(session_factory, merchant.account_id)[-1] == (
        date(2026, 4, 1),
        "churn",
        -3000,
    )


def test_a_withdrawn_cancellation_counted_at_cancellation_comes_back(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, at(1, 1), timezone="UTC", metric_settings={"churn_timing": "cancellation"})
    sub = world.subscribe(world.customer(), world.plan(3000))
    world.advance_to(at(1, 10))
    world.act(sub["id"], "cancel", at_period_end=True)
    world.advance_to(at(1, 20))
    world.act(sub["id"], "reactivate")
    world.advance_to(at(2, 2))
    fold_all(session_factory)
    assert movements(session_factory, merchant.account_id) == [
        (date(2026, 1, 1), "new", 3000),
        (date(2026, 1, 10), "churn", -3000),
        (date(2026, 1, 20), "reactivation", 3000),
    ]


def test_reactivation_window(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    """Ana leaves on Feb 10 and comes back on Apr 1, 50 days later: a reactivation with no
    window (the default), new business again with a 30-day window, a reactivation again
    with a 60-day one."""
    world = World(api, at(1, 1), timezone="UTC")
    basic = world.plan(3000)
    ana = world.customer()
    first = world.subscribe(ana, basic)
    world.advance_to(at(2, 10))
    world.act(first["id"], "cancel")
    world.advance_to(at(4, 1))
    world.subscribe(ana, basic)
    world.advance_to(at(4, 2))
    fold_all(session_factory)
    last = movements(session_factory, merchant.account_id)[-1]
    assert last == (date(2026, 4, 1), "reactivation", 3000)
    settings_patch(api, reactivation_window_days=30)
    assert movements(session_factory, merchant.account_id) == [
        (date(2026, 1, 1), "new", 3000),
        (date(2026, 2, 10), "churn", -3000),
        (date(2026, 4, 1), "new", 3000),
    ]
    settings_patch(api, reactivation_window_days=60)
    assert movements(session_factory, merchant.account_id)[-1][1] == "reactivation"
    settings_patch(api, reactivation_window_days=None)  # back to the default: no window
    assert movements(session_factory, merchant.account_id)[-1][1] == "reactivation"


def test_gross_margin_scales_ltv_and_payback(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    """Four customers at 30.00 from Jan 1; one leaves in February. February: MRR 90.00,
    3 paying, ARPA 30.00, logo churn 1/4; LTV = 30.00 * margin ÷ 1/4: 120.00 at margin 1,
    96.00 at 0.8. Spend 60.00 in January brought the four: CAC 15.00, payback 15 ÷ 30 =
    0.5 months at margin 1, 15 ÷ 24 = 0.63 at 0.8."""
    world = World(api, at(1, 1), timezone="UTC")
    basic = world.plan(3000)
    subs = [
        world.subscribe(world.customer(acquisition_channel="google_ads"), basic) for _ in range(4)
    ]
    world.advance_to(at(2, 10))
    world.act(subs[0]["id"], "cancel")
    world.advance_to(at(3, 1))
    api.ok(
        "POST",
        "/v1/acquisition_spend",
        201,
        json={
            "month": "2026-01",
            "channel": "google_ads",
            "amount": {"amount": 6000, "currency": "RON"},
        },
    )
    fold_all(session_factory)
    params = {"start": "2026-01-01", "end": "2026-02-28", "currency": "RON"}
    january, february = api.ok("GET", "/v1/metrics/ltv", params=params)["data"]
    assert (february["mrr"], february["customers"], february["arpa"]) == (9000, 3, 3000)
    assert february["logo_churn_rate"] == 0.25
    assert february["ltv"] == 12000
    assert january["logo_churn_rate"] is None  # nobody paid at its start
    assert january["ltv"] is None
    assert (january["spend"], january["acquired"], january["cac"]) == (6000, 4, 1500)
    assert january["payback_months"] == 0.5
    assert january["channels"][0]["channel"] == "google_ads"
    settings_patch(api, gross_margin="0.8")
    january, february = api.ok("GET", "/v1/metrics/ltv", params=params)["data"]
    assert february["ltv"] == 9600
    assert january["payback_months"] == 0.63


def test_reporting_currency_is_the_default_currency_of_the_reads(api: Api) -> None:
    world = World(api, at(1, 1), timezone="UTC")
    world.advance_to(at(1, 2))
    params = {"start": "2026-01-01", "end": "2026-01-31"}
    assert api.ok("GET", "/v1/metrics/churn", params=params)["data"][0]["currency"] == "RON"
    settings_patch(api, reporting_currency="EUR")
    assert api.ok("GET", "/v1/metrics/churn", params=params)["data"][0]["currency"] == "EUR"


def mrr_by_month(api: Api, end: str) -> list[int]:
    params = {"start": "2026-01-01", "end": end, "currency": "RON"}
    return [p["mrr"] for p in api.ok("GET", "/v1/metrics/mrr", params=params)["data"]]


def test_which_discounts_lower_mrr(api: Api, session_factory: sessionmaker[Session]) -> None:
    """From Jan 1 Ana pays 100.00 a month with 20 % off her first 3 months, Bogdan 50.00
    with 10 % off forever. Every discount (the default): 80.00 + 45.00 = 125.00 until
    Ana's last discounted month (March), then 100.00 + 45.00 = 145.00 from April 1. Only
    forever discounts: 100.00 + 45.00 = 145.00 throughout. None: list price, 150.00."""
    world = World(api, at(1, 1), timezone="UTC")
    three = world.coupon(percent_off="20", duration="repeating", duration_in_periods=3)
    forever = world.coupon(percent_off="10", duration="forever")
    world.subscribe(world.customer(), world.plan(10000), coupon=three)
    world.subscribe(world.customer(), world.plan(5000), coupon=forever)
    world.advance_to(at(4, 2))
    fold_all(session_factory)
    assert mrr_by_month(api, "2026-04-30") == [12500, 12500, 12500, 14500]
    settings_patch(api, discounts="forever_only")
    assert mrr_by_month(api, "2026-04-30") == [14500, 14500, 14500, 14500]
    settings_patch(api, discounts="none")
    assert mrr_by_month(api, "2026-04-30") == [15000, 15000, 15000, 15000]
    settings_patch(api, discounts="all")
    assert mrr_by_month(api, "2026-04-30") == [12500, 12500, 12500, 14500]
    moves = api.ok(
        "GET",
        "/v1/metrics/mrr_movements",
        params={"start": "2026-04-01", "end": "2026-04-30", "currency": "RON"},
    )["data"]
    assert [(m["day"], m["type"], m["amount"]) for m in moves] == [
        ("2026-04-01", "expansion", 2000)  # the coupon ended: Ana pays 20.00 more
    ]


def test_usage_in_mrr_as_its_last_period(api: Api, session_factory: sessionmaker[Session]) -> None:
    """A 10.00 plan with API calls at 0.10 each for the first 100, 0.05 after: 150 calls
    in April are 12.50, charged at the May 1 renewal. Without usage (the default) MRR is
    10.00 every month; with it, 22.50 from May 1, and 10.00 again from June 1 (May had
    no calls)."""
    world = World(api, at(4, 1), timezone="UTC")
    metric = world.metric()
    charge = {
        "billable_metric": metric["id"],
        "pricing_model": "tiered_graduated",
        "prices": [
            {
                "currency": "RON",
                "tiers": [
                    {"up_to": "100", "unit_amount": "10"},
                    {"up_to": None, "unit_amount": "5"},
                ],
            }
        ],
    }
    customer = world.customer()
    world.subscribe(customer, world.plan(1000, name="API", charges=[charge]))
    world.advance_to(at(4, 10))
    world.usage(customer, metric["code"], at(4, 9), count=150)
    world.advance_to(at(6, 2))
    fold_all(session_factory)
    params = {"start": "2026-04-01", "end": "2026-06-30", "currency": "RON"}
    found = api.ok("GET", "/v1/metrics/mrr", params=params)["data"]
    assert [p["mrr"] for p in found] == [1000, 1000, 1000]
    settings_patch(api, include_metered=True)
    found = api.ok("GET", "/v1/metrics/mrr", params=params)["data"]
    assert [p["mrr"] for p in found] == [1000, 2250, 1000]
    assert found[1]["movements"]["expansion"] == 1250
    settings_patch(api, include_metered=False)
    found = api.ok("GET", "/v1/metrics/mrr", params=params)["data"]
    assert [p["mrr"] for p in found] == [1000, 1000, 1000]


def test_events_carry_the_terms_their_mrr_comes_from(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    """Every subscription event's `mrr` is its `mrr_terms` at list price: the facts any
    setting needs are in the log."""
    world = World(api, at(1, 1), timezone="UTC")
    coupon = world.coupon(amounts_off=[{"currency": "RON", "amount": 2500}], duration="forever")
    sub = world.subscribe(world.customer(), world.plan(12000, interval="year"), coupon=coupon)
    world.advance_to(at(2, 1))
    found = world.events(sub["id"])
    assert found
    for event in found:
        data = event["data"]
        terms = data["mrr_terms"]
        assert terms == {
            "price": 12000,
            "interval": "year",
            "interval_count": 1,
            "discounts": [{"amount": 2500, "forever": True}],
            "metered": None,
        }
        listed = RecurringTerms(Money(terms["price"], "RON"), "year", 1)
        none = MetricSettings(discounts=DiscountPolicy.NONE)
        assert subscription_mrr(listed, none).minor == data["mrr"] == 1000


def test_a_discount_added_later_lowers_mrr_from_that_day(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    """Ana pays 40.00 a month from Jan 1; on Feb 10 she gets 25 % off forever: a
    contraction of 10.00 that day, counted unless the account counts no discounts."""
    world = World(api, at(1, 1), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(4000))
    world.advance_to(at(2, 10))
    world.act(sub["id"], "change", coupon=world.coupon(percent_off="25", duration="forever"))
    assert world.events(sub["id"])[-1]["data"]["change"] == "terms"
    world.advance_to(at(3, 2))
    fold_all(session_factory)
    assert movements(session_factory, merchant.account_id) == [
        (date(2026, 1, 1), "new", 4000),
        (date(2026, 2, 10), "contraction", -1000),
    ]
    settings_patch(api, discounts="none")
    assert movements(session_factory, merchant.account_id) == [(date(2026, 1, 1), "new", 4000)]
