"""Payment methods through the API: default, detach, and the notice before a card expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.payments import methods
from tests.conftest import Api, Merchant
from tests.fakes.paypal_server import running_fake_paypal
from tests.fakes.processor_api import ProcessorApi


def customer(api: Api) -> str:
    found: str = api.ok("POST", "/v1/customers", 201, json={"name": "Ion"})["id"]
    return found


def attach(api: Api, customer_id: str, token: str, **over: object) -> dict[str, object]:
    body = {"gateway": "sandbox", "token": token, **over}
    found: dict[str, object] = api.ok(
        "POST", f"/v1/customers/{customer_id}/payment_methods", 201, json=body
    )
    return found


def test_the_first_card_is_the_default_until_another_is_made_so(api: Api) -> None:
    who = customer(api)
    first = attach(api, who, "tok_sandbox_visa")
    second = attach(api, who, "tok_sandbox_mastercard_exp_2030_04")
    assert (first["default"], second["default"]) == (True, False)
    assert (second["brand"], second["last4"], second["exp_month"], second["exp_year"]) == (
        "mastercard",
        "4444",
        4,
        2030,
    )
    api.ok("POST", f"/v1/payment_methods/{second['id']}/set_default", json={})
    listed = api.ok("GET", f"/v1/customers/{who}/payment_methods")["data"]
    assert {m["id"]: m["default"] for m in listed} == {first["id"]: False, second["id"]: True}


def test_a_customers_methods_paginate_newest_first(api: Api) -> None:
    who = customer(api)
    # Ids sort by creation time, newest last.
    cards = sorted(attach(api, who, "tok_sandbox_visa")["id"] for _ in range(3))
    path = f"/v1/customers/{who}/payment_methods"
    first = api.ok("GET", path, params={"limit": 2})
    assert ([m["id"] for m in first["data"]], first["has_more"]) == ([cards[2], cards[1]], True)
    rest = api.ok("GET", path, params={"limit": 2, "starting_after": cards[1]})
    assert ([m["id"] for m in rest["data"]], rest["has_more"]) == ([cards[0]], False)
    assert api.get(path, params={"limit": 0}).status_code == 422


def test_a_detached_default_leaves_nothing_to_charge(api: Api) -> None:
    who = customer(api)
    card = attach(api, who, "tok_sandbox_visa")
    detached = api.ok("POST", f"/v1/payment_methods/{card['id']}/detach", json={})
    assert (detached["status"], detached["default"]) == ("detached", False)
    assert api.ok("GET", f"/v1/customers/{who}/payment_methods")["data"] == []
    again = api.post(f"/v1/payment_methods/{card['id']}/detach", json={})
    assert again.status_code == 409


def test_an_unknown_token_is_a_422_at_the_token(api: Api) -> None:
    response = api.post(
        f"/v1/customers/{customer(api)}/payment_methods",
        json={"gateway": "sandbox", "token": "4242424242424242"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/token"


def test_live_mode_has_no_sandbox(merchant: Merchant) -> None:
    live = merchant.live
    who = live.ok("POST", "/v1/customers", 201, json={"name": "Ion"})["id"]
    response = live.post(f"/v1/customers/{who}/payment_methods", json={"token": "tok_sandbox_visa"})
    assert response.status_code == 409


def test_the_expiry_notice_comes_once_a_month_before(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    card = attach(api, customer(api), "tok_sandbox_visa_exp_2031_03")
    # It works to the end of March 2031; the notice is due 30 days before April 1st.
    early = datetime(2031, 2, 27, tzinfo=UTC)
    for at in (early, datetime(2031, 3, 2, tzinfo=UTC), datetime(2031, 3, 20, tzinfo=UTC)):
        with unit_of_work(session_factory) as session:
            methods.notify_expiring(session, at)
        notices = expiring(api, card["id"])
        assert len(notices) == (0 if at == early else 1)
    assert notices[0]["data"]["exp_year"] == 2031


def expiring(api: Api, method_id: object) -> list[dict[str, Any]]:
    found = api.ok("GET", "/v1/events", params={"type": "payment_method.expiring", "limit": 100})[
        "data"
    ]
    return [e for e in found if e["object_id"] == method_id]


def test_an_expired_card_gets_no_notice(api: Api, session_factory: sessionmaker[Session]) -> None:
    card = attach(api, customer(api), "tok_sandbox_visa_exp_2031_03")
    with unit_of_work(session_factory) as session:
        methods.notify_expiring(session, datetime(2031, 4, 1, tzinfo=UTC) + timedelta(days=1))
    assert expiring(api, card["id"]) == []


def test_a_paypal_setup_is_asked_under_the_customers_next_key(
    api: Api, processor_api: ProcessorApi
) -> None:
    with running_fake_paypal() as paypal:
        processor_api.point("paypal", paypal.base_url)
        connection = {
            "gateway": "paypal",
            "client_id": paypal.client_id,
            "client_secret": paypal.client_secret,
            "webhook_id": paypal.webhook_id,
        }
        api.ok("POST", "/v1/gateway_connections", json=connection)
        who = customer(api)
        path = f"/v1/customers/{who}/payment_method_setups"
        body = {"gateway": "paypal", "return_url": "https://shop.example/paypal"}

        first = api.ok("POST", path, json=body)["reference"]
        # Asked again before anything was saved (a retry, a reload): the same setup.
        assert api.ok("POST", path, json=body)["reference"] == first
        assert paypal.replays[("setup-token", f"{who}-setup-1")] == first

        paypal.approve_setup_token(first)
        attach(api, who, first, gateway="paypal")
        # A wallet is saved: the next setup is a new one, under the next key.
        second = api.ok("POST", path, json=body)["reference"]
        assert second != first
        assert paypal.replays[("setup-token", f"{who}-setup-2")] == second
