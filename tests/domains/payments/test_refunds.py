"""Refunds send money back once, and the invoice's credit notes say so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Api
from tests.scenarios.world import World

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def paid_invoice(api: Api) -> tuple[World, dict[str, str]]:
    world = World(api, START, timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(5000))
    world.advance_to(START + timedelta(minutes=1))
    (invoice,) = world.invoices(sub["id"])
    (payment,) = api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]
    assert payment["status"] == "succeeded"
    return world, {"invoice": invoice["id"], "payment": payment["id"]}


def test_a_partial_then_the_full_rest(api: Api) -> None:
    _, ids = paid_invoice(api)
    first = api.ok("POST", "/v1/refunds", 201, json={"payment": ids["payment"], "amount": 2000})
    assert (first["status"], first["amount"]["amount"]) == ("succeeded", 2000)
    rest = api.ok("POST", "/v1/refunds", 201, json={"payment": ids["payment"]})
    assert rest["amount"]["amount"] == 6050 - 2000
    payment = api.ok("GET", f"/v1/payments/{ids['payment']}")
    assert payment["amount_refunded"]["amount"] == 6050
    notes = api.ok("GET", "/v1/credit_notes", params={"invoice": ids["invoice"]})["data"]
    assert sorted(n["refunded"]["amount"] for n in notes) == [2000, 4050]
    assert {n["credited_to_balance"]["amount"] for n in notes} == {0}
    assert sum(n["total"]["amount"] for n in notes) == 6050
    again = api.post("/v1/refunds", json={"payment": ids["payment"], "amount": 1})
    assert again.status_code == 409
    kinds = [e["type"] for e in api.ok("GET", "/v1/events", params={"type": "refund.*"})["data"]]
    assert sorted(kinds) == ["refund.created"] * 2 + ["refund.succeeded"] * 2


def test_more_than_is_left_is_refused_with_a_pointer(api: Api) -> None:
    _, ids = paid_invoice(api)
    response = api.post("/v1/refunds", json={"payment": ids["payment"], "amount": 6051})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/amount"
    unknown = api.post("/v1/refunds", json={"payment": "pay_nothing"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "#/payment"


def test_a_failed_payment_is_not_refunded(api: Api) -> None:
    world = World(api, START, timezone="UTC")
    sub = world.subscribe(world.customer(card="tok_sandbox_declined"), world.plan(5000))
    world.advance_to(START + timedelta(minutes=1))
    (invoice,) = world.invoices(sub["id"])
    (payment,) = api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]
    response = api.post("/v1/refunds", json={"payment": payment["id"]})
    assert response.status_code == 409
    assert "only a succeeded payment" in response.json()["detail"]
