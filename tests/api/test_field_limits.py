"""What the database cannot hold is refused with a pointer to the field, never a 500: amounts
past a 64-bit integer (as sent, or as a quantity times a price), whole numbers past a 32-bit
column, instants near the end of year 9999; and names that would break an email's headers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.conftest import Api
from tests.scenarios.world import World

START = datetime(2026, 3, 1, tzinfo=UTC)
PAST_BIGINT = 2**63  # one more than a BIGINT (and SQLite's INTEGER) holds
MILLION = 10**6


def refused(response: Any, pointer: str) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["pointer"] for e in errors] == [pointer], errors
    return str(errors[0]["detail"])


@pytest.fixture
def world(api: Api) -> World:
    return World(api, START)


def plan_body(world: World, **over: Any) -> dict[str, Any]:
    return {
        "product": world.product,
        "code": "big",
        "name": "Big",
        "interval_unit": "month",
        "interval_count": 1,
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 4900}],
        **over,
    }


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        (
            "/v1/coupons",
            {"code": "c", "name": "C", "amounts_off": [{"currency": "RON", "amount": PAST_BIGINT}]},
            "#/amounts_off/0/amount",
        ),
        ("/v1/credit_notes", {"invoice": "inv_x", "amount": PAST_BIGINT}, "#/amount"),
        ("/v1/refunds", {"payment": "pay_x", "amount": PAST_BIGINT}, "#/amount"),
        ("/v1/customers", {"name": "A", "tax_rate": "1e30"}, "#/tax_rate"),
    ],
)
def test_amounts_past_a_bigint_are_422(api: Api, path: str, body: Any, pointer: str) -> None:
    refused(api.post(path, json=body), pointer)


def test_prices_and_usage_past_a_bigint_are_422(api: Api, world: World) -> None:
    prices = [{"currency": "RON", "amount": PAST_BIGINT}]
    refused(api.post("/v1/plans", json=plan_body(world, prices=prices)), "#/prices/0/amount")
    per_unit = [{"currency": "RON", "unit_amount": str(PAST_BIGINT)}]
    body = plan_body(world, pricing_model="per_unit", prices=per_unit)
    refused(api.post("/v1/plans", json=body), "#/prices/0/unit_amount")
    metric = world.metric("sum", field="gb")
    customer = world.customer(card=None)
    event = {
        "transaction_id": "t-1",
        "customer": customer,
        "code": metric["code"],
        "timestamp": START.isoformat(),
        "properties": {"gb": PAST_BIGINT},
    }
    refused(api.post("/v1/usage_events", json={"events": [event]}), "#/events/0/properties")


def test_a_quantity_times_a_price_past_what_an_invoice_holds_is_422(api: Api, world: World) -> None:
    """Each input is within its bounds; their product (10^12 units at 10^15) is not."""
    per_unit = [{"currency": "RON", "unit_amount": "1000000000000000"}]
    body = plan_body(world, pricing_model="per_unit", prices=per_unit)
    plan = api.ok("POST", "/v1/plans", 201, json=body)["id"]
    customer = world.customer()
    too_many = {"customer": customer, "plan": plan, "quantity": "1000000000000"}
    assert "minor units" in refused(api.post("/v1/subscriptions", json=too_many), "#/quantity")
    quote = {"currency": "RON", "quantity": "1000000000000"}
    refused(api.post(f"/v1/plans/{plan}/quote", json=quote), "#/quantity")
    sub = api.ok("POST", "/v1/subscriptions", 201, json={"customer": customer, "plan": plan})
    change = {"quantity": "1000000000000"}
    refused(api.post(f"/v1/subscriptions/{sub['id']}/change", json=change), "#/quantity")


def test_whole_numbers_past_an_integer_column_are_422(api: Api, world: World) -> None:
    plan = world.plan(4900)
    for version in (2**31, PAST_BIGINT):
        quote = {"currency": "RON", "version": version}
        refused(api.post(f"/v1/plans/{plan}/quote", json=quote), "#/version")
    # The bound is on the number: null still means the current version.
    current = {"currency": "RON", "version": None}
    assert api.ok("POST", f"/v1/plans/{plan}/quote", json=current)["version"] == 1


@pytest.mark.parametrize(
    "instant",
    [
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-10:00",
        "9000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_instants_near_the_end_of_time_are_422(api: Api, world: World, instant: str) -> None:
    refused(
        api.post("/v1/test_clocks", json={"name": "far", "frozen_time": instant}),
        "#/frozen_time",
    )
    coupon = {"code": "far", "name": "Far", "percent_off": "10", "redeem_by": instant}
    refused(api.post("/v1/coupons", json=coupon), "#/redeem_by")
    sub = world.subscribe(world.customer(), world.plan(4900))
    pause = api.post(f"/v1/subscriptions/{sub['id']}/pause", json={"resume_at": instant})
    refused(pause, "#/resume_at")


def test_a_subscription_on_the_latest_clock_allowed_is_billed(api: Api) -> None:
    """The latest instant taken leaves room for the periods worked out from it."""
    world = World(api, datetime(8999, 12, 31, 23, tzinfo=UTC))
    sub = world.subscribe(world.customer(), world.plan(4900, interval="year", count=3))
    assert sub["current_period_end"].startswith("9002-12-31")


@pytest.mark.parametrize(
    "name", ["Ana\r\nBcc: all@example.ro", "Ana\nPopescu", "Ana\rX", "A\u2028B"]
)
def test_names_that_go_into_email_headers_are_one_line(api: Api, name: str) -> None:
    detail = refused(api.post("/v1/customers", json={"name": name}), "#/name")
    assert "line break" in detail
    customer = api.ok("POST", "/v1/customers", 201, json={"name": "Ana Popescu"})
    refused(api.patch(f"/v1/customers/{customer['id']}", json={"name": name}), "#/name")
    refused(api.patch("/v1/account", json={"legal_name": name}), "#/legal_name")
    refused(api.patch("/v1/account", json={"email_from_name": name}), "#/email_from_name")
