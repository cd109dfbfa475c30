"""A customer's credit balance per currency, and its ledger newest first."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Api
from tests.scenarios.world import World


def test_balance_and_its_entries(api: Api) -> None:
    world = World(api, datetime(2026, 4, 1, tzinfo=UTC), timezone="UTC")
    ana = world.customer()
    assert api.ok("GET", f"/v1/customers/{ana}/balance") == {
        "object": "customer_balance",
        "customer": ana,
        "available": [],
    }
    sub = world.subscribe(ana, world.plan(4900))
    world.advance_to(datetime(2026, 4, 1, 1, tzinfo=UTC))  # the first invoice is paid
    (invoice,) = world.invoices(sub["id"])
    assert invoice["status"] == "paid"
    api.ok("POST", "/v1/credit_notes", 201, json={"invoice": invoice["id"], "amount": 1000})
    balance = api.ok("GET", f"/v1/customers/{ana}/balance")
    assert balance["available"] == [{"amount": 1000, "currency": "RON"}]

    world.advance_to(datetime(2026, 5, 2, tzinfo=UTC))  # the renewal spends the credit
    balance = api.ok("GET", f"/v1/customers/{ana}/balance")
    assert balance["available"] == [{"amount": 0, "currency": "RON"}]
    path = f"/v1/customers/{ana}/balance_entries"
    first = api.ok("GET", path, params={"limit": 1})
    (spent,) = first["data"]
    assert first["has_more"] is True
    assert (spent["object"], spent["kind"], spent["amount"]) == (
        "balance_entry",
        "applied_to_invoice",
        {"amount": -1000, "currency": "RON"},
    )
    assert spent["invoice"] == world.invoices(sub["id"])[1]["id"]
    rest = api.ok("GET", path, params={"limit": 1, "starting_after": spent["id"]})
    (credited,) = rest["data"]
    assert (credited["kind"], credited["amount"]["amount"], rest["has_more"]) == (
        "credit_note",
        1000,
        False,
    )
    assert credited["credit_note"].startswith("cn_")


def test_an_unknown_customer_is_a_404(api: Api) -> None:
    for path in ("balance", "balance_entries"):
        response = api.get(f"/v1/customers/cus_nope/{path}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
