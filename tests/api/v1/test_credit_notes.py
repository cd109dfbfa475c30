from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Api
from tests.scenarios.world import World

APR_1 = datetime(2026, 4, 1, tzinfo=UTC)


def first_invoice(world: World, plan_amount: int = 4900) -> tuple[str, dict]:
    customer = world.customer()
    sub = world.subscribe(customer, world.plan(plan_amount))
    return customer, world.invoices(sub["id"])[0]


def test_partial_credit_lowers_what_an_open_invoice_still_owes(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    _, invoice = first_invoice(world)
    assert invoice["amount_due"]["amount"] == 5929
    note = api.ok(
        "POST",
        "/v1/credit_notes",
        201,
        json={"invoice": invoice["id"], "amount": 2965, "reason": "product_unsatisfactory"},
    )
    # 29.65 gross at 21 %: 5.1458 VAT -> 5.15, net 24.50.
    assert note["number"] == "NDTCN-000001"
    assert note["lines"] == [
        {
            "tax_rate": "21",
            "net_amount": {"amount": 2450, "currency": "RON"},
            "tax_amount": {"amount": 515, "currency": "RON"},
        }
    ]
    assert (note["applied_to_invoice"]["amount"], note["credited_to_balance"]["amount"]) == (
        2965,
        0,
    )
    after = api.ok("GET", f"/v1/invoices/{invoice['id']}")
    assert after["amount_due"]["amount"] == 2964
    assert after["amount_credited"]["amount"] == 2965
    assert after["status"] == "open"
    # The rest credits the invoice in full and settles it.
    rest = api.ok("POST", "/v1/credit_notes", 201, json={"invoice": invoice["id"]})
    assert rest["total"]["amount"] == 2964
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    assert api.post("/v1/credit_notes", json={"invoice": invoice["id"]}).status_code == 409
    created = api.ok("GET", "/v1/events", params={"type": "credit_note.created"})["data"]
    assert [e["object_id"] for e in created] == [rest["id"], note["id"]]


def test_credit_on_a_paid_invoice_goes_to_the_balance_and_pays_the_next(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    customer, invoice = first_invoice(world)
    api.ok("POST", f"/v1/invoices/{invoice['id']}/pay", json={"paid_out_of_band": True})
    note = api.ok("POST", "/v1/credit_notes", 201, json={"invoice": invoice["id"]})
    assert note["credited_to_balance"]["amount"] == 5929
    world.advance_to(datetime(2026, 5, 2, tzinfo=UTC))
    may = api.ok("GET", "/v1/invoices", params={"customer": customer})["data"][0]
    assert (may["credit_applied"]["amount"], may["amount_due"]["amount"]) == (5929, 0)
    assert may["status"] == "paid"


def test_bad_credits_are_refused_with_reasons(api: Api) -> None:
    world = World(api, APR_1, timezone="UTC")
    _, invoice = first_invoice(world)
    too_much = api.post("/v1/credit_notes", json={"invoice": invoice["id"], "amount": 5930})
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["pointer"] == "#/amount"
    unknown = api.post("/v1/credit_notes", json={"invoice": "inv_nope"})
    assert unknown.json()["errors"][0]["pointer"] == "#/invoice"
    api.ok("POST", f"/v1/invoices/{invoice['id']}/void", json={})
    voided = api.post("/v1/credit_notes", json={"invoice": invoice["id"]})
    assert voided.status_code == 409
    assert "void" in voided.json()["detail"]
