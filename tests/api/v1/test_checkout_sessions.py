"""/v1/checkout_sessions: open one for the hosted page, read it (with what it made once
complete), list them with the stage each reached, the abandoned ones apart, and expire one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0, Api, Merchant
from tests.domains.checkout.conftest import ANA
from tests.scenarios.world import World

from recura.clock import FixedClock
from recura.db.unit_of_work import unit_of_work, units_of
from recura.domains.checkout import complete, service
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant

URL = "https://shop.example.ro/thanks?cs={CHECKOUT_SESSION_ID}"


@pytest.fixture
def world(api: Api) -> World:
    return World(api, T0, timezone="UTC")


def opened(api: Api, plan: str, status: int = 201, **body: Any) -> Any:
    return api.ok(
        "POST", "/v1/checkout_sessions", status, json={"plan": plan, "success_url": URL, **body}
    )


def pointers(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["pointer"] for e in response.json()["errors"]]


def test_a_session_opens_with_its_page_url_and_defaults(api: Api, world: World) -> None:
    plan = world.plan(4900)
    found = opened(api, plan, acquisition={"channel": "ads", "utm_source": "google"})
    assert found["id"].startswith("cs_")
    assert found["url"] == f"http://127.0.0.1:8000/checkout/{found['id']}"
    assert found["status"] == "open"
    assert found["stage"] is None
    assert found["stages"] == {
        "opened": None,
        "details": None,
        "payment_method": None,
        "confirmed": None,
    }
    assert (found["locale"], found["currency"]) == ("ro", "RON")
    assert found["success_url"] == URL  # replaced only where the subscriber is sent
    assert found["expires_at"] == (T0 + timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    assert found["acquisition"] == {"channel": "ads", "utm_source": "google"}
    assert api.ok("GET", f"/v1/checkout_sessions/{found['id']}") == {**found, "result": None}


def test_ids_are_not_guessable(api: Api, world: World) -> None:
    plan = world.plan(4900)
    first, second = opened(api, plan)["id"], opened(api, plan)["id"]
    # 80 random bits after the time: neighbours share nothing past their millisecond.
    assert first[:13] <= second[:13]
    assert first[13:] != second[13:]
    assert len(first) == len("cs_") + 26


def test_bad_input_is_named_by_pointer(api: Api, world: World) -> None:
    plan = world.plan(4900)
    assert pointers(api.post("/v1/checkout_sessions", json={"success_url": URL})) == ["#/plan"]
    insecure = {"plan": plan, "success_url": "http://shop.example.ro/ok"}
    assert pointers(api.post("/v1/checkout_sessions", json=insecure)) == ["#/success_url"]
    local = opened(
        api, plan, success_url="http://localhost:3000/ok", cancel_url="http://127.0.0.1/x"
    )
    assert local["cancel_url"] == "http://127.0.0.1/x"
    body = {"plan": plan, "success_url": URL}
    cases = [
        ({"plan": "plan_nope"}, "#/plan"),
        ({"currency": "EUR"}, "#/currency"),
        ({"add_ons": [{"add_on": "addon_nope"}]}, "#/add_ons/0/add_on"),
        ({"coupon": "cpn_nope"}, "#/coupon"),
        ({"customer": "cus_nope"}, "#/customer"),
        ({"customer_email": "not an email"}, "#/customer_email"),
        ({"locale": "de"}, "#/locale"),
        ({"cancel_url": "ftp://shop.example.ro"}, "#/cancel_url"),
    ]
    for change, pointer in cases:
        assert pointers(api.post("/v1/checkout_sessions", json={**body, **change})) == [pointer]
    coupon = world.coupon(percent_off="10", duration="once")
    both = {**body, "coupon": coupon, "allow_promotion_codes": True}
    assert pointers(api.post("/v1/checkout_sessions", json=both)) == ["#/allow_promotion_codes"]
    customer = world.customer(card=None)
    both = {**body, "customer": customer, "customer_email": "a@b.ro"}
    assert pointers(api.post("/v1/checkout_sessions", json=both)) == ["#/customer_email"]
    api.ok("POST", f"/v1/plans/{plan}/archive")
    assert pointers(api.post("/v1/checkout_sessions", json=body)) == ["#/plan"]


def test_a_customers_currency_and_language_are_the_default(api: Api, world: World) -> None:
    plan = world.plan(
        None,
        pricing_model="flat",
        prices=[{"currency": "RON", "amount": 4900}, {"currency": "EUR", "amount": 990}],
    )
    customer = world.customer(card=None, currency="EUR", locale="en")
    found = opened(api, plan, customer=customer)
    assert (found["currency"], found["locale"], found["customer"]) == ("EUR", "en", customer)


def test_another_tenants_session_is_not_found(api: Api, merchant: Merchant, world: World) -> None:
    found = opened(api, world.plan(4900))
    assert merchant.live.get(f"/v1/checkout_sessions/{found['id']}").status_code == 404
    assert merchant.live.ok("GET", "/v1/checkout_sessions")["data"] == []
    assert (
        merchant.live.post(f"/v1/checkout_sessions/{found['id']}/expire", json={}).status_code
        == 404
    )


def test_a_completed_session_shows_what_it_made(
    api: Api, world: World, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    found = opened(api, world.plan(0))
    tenant = Tenant(merchant.account_id, False)
    done = complete.complete(
        units_of(session_factory), tenant, found["id"], T0, terms_accepted=True, details=ANA
    )
    assert done.redirect_url == f"https://shop.example.ro/thanks?cs={found['id']}"
    read = api.ok("GET", f"/v1/checkout_sessions/{found['id']}")
    assert read["status"] == "complete"
    assert read["completed_at"] is not None
    assert read["subscription"] == done.subscription_id
    assert read["result"]["customer"]["id"] == done.customer_id
    assert read["result"]["subscription"]["status"] == "active"
    assert read["result"]["entitlements"]["customer"] == done.customer_id
    again = api.post(f"/v1/checkout_sessions/{found['id']}/expire", json={})
    assert again.status_code == 409


def test_sessions_expire_after_a_day_or_when_asked(
    api: Api, world: World, clock: FixedClock
) -> None:
    plan = world.plan(4900)
    lapsing, ended = opened(api, plan)["id"], opened(api, plan)["id"]
    expired = api.ok("POST", f"/v1/checkout_sessions/{ended}/expire", json={})
    assert expired["status"] == "expired"
    assert api.ok("POST", f"/v1/checkout_sessions/{ended}/expire", json={}) == expired
    clock.advance(timedelta(hours=24))
    # Read past its expiry, an open session is expired, though nothing has stored it so.
    assert api.ok("GET", f"/v1/checkout_sessions/{lapsing}")["status"] == "expired"
    listed = api.ok("GET", "/v1/checkout_sessions", params={"status": "expired"})["data"]
    assert {s["id"] for s in listed} >= {lapsing, ended}
    assert api.ok("GET", "/v1/checkout_sessions", params={"status": "open"})["data"] == []


def test_abandoned_sessions_are_listed_with_the_stage_they_reached(
    api: Api,
    world: World,
    merchant: Merchant,
    clock: FixedClock,
    session_factory: sessionmaker[Session],
) -> None:
    plan = world.plan(0)
    tenant = Tenant(merchant.account_id, False)
    looked, typed, bought = (opened(api, plan)["id"] for _ in range(3))
    with unit_of_work(session_factory) as session:
        service.mark_opened(session, tenant, looked, T0)
        service.mark_opened(session, tenant, typed, T0)
        service.save_details(session, tenant, typed, ANA, T0 + timedelta(minutes=2))
    complete.complete(
        units_of(session_factory), tenant, bought, T0, terms_accepted=True, details=ANA
    )

    # Within the hour nothing is abandoned yet.
    assert api.ok("GET", "/v1/checkout_sessions", params={"abandoned": "true"})["data"] == []
    clock.advance(timedelta(hours=1))
    found = api.ok("GET", "/v1/checkout_sessions", params={"abandoned": "true"})["data"]
    assert [(s["id"], s["stage"]) for s in found] == [(typed, "details"), (looked, "opened")]
    stages = found[0]["stages"]
    assert stages["opened"] == T0.isoformat().replace("+00:00", "Z")
    assert stages["details"] == (T0 + timedelta(minutes=2)).isoformat().replace("+00:00", "Z")
    assert stages["payment_method"] is None
    kept = api.ok("GET", "/v1/checkout_sessions", params={"abandoned": "false"})["data"]
    assert [s["id"] for s in kept] == [bought]
    complete_only = api.ok("GET", "/v1/checkout_sessions", params={"status": "complete"})["data"]
    assert [(s["id"], s["stage"]) for s in complete_only] == [(bought, "confirmed")]

    first = api.ok("GET", "/v1/checkout_sessions", params={"limit": 1})
    assert first["has_more"] is True
    rest = api.ok(
        "GET",
        "/v1/checkout_sessions",
        params={"limit": 5, "starting_after": first["data"][0]["id"]},
    )
    assert [s["id"] for s in first["data"] + rest["data"]] == [bought, typed, looked]


def test_a_public_plan_checkout_opens_with_defaults(
    api: Api, world: World, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    plan = world.plan(4900)
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(session_factory) as session:
        made = service.open_for_plan(
            session, tenant, plan, T0, locale="en-GB", acquisition={"utm_source": "blog"}
        )
        checkout_id = made.id
    found = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert (found["quantity"], found["locale"], found["currency"]) == ("1", "en", "RON")
    assert found["allow_promotion_codes"] is True
    assert found["success_url"] is None
    assert found["acquisition"] == {"channel": "plan_link", "utm_source": "blog"}
    api.ok("POST", f"/v1/plans/{plan}/archive")
    with unit_of_work(session_factory) as session, pytest.raises(NotFoundError):
        service.open_for_plan(session, tenant, plan, T0)
