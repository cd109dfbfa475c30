"""Renewals in one batch share what they compute when they are alike, and only then: each
subscription still gets its own invoice, coupon, tax and events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import Customer
from recura.db.unit_of_work import unit_of_work
from recura.jobs.worker import run_once
from tests.conftest import T0, Api, Merchant
from tests.own_database import database_url, engine, session_factory

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]


def renewal_invoice(api: Api, sub: str) -> dict[str, Any]:
    found = api.ok("GET", "/v1/invoices", params={"subscription": sub})["data"]
    (renewal,) = [i for i in found if i["reason"] == "subscription_cycle"]
    return dict(renewal)


def test_alike_and_different_subscriptions_renewed_together(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    api.ok(
        "PATCH", "/v1/account", json={"timezone": "UTC", "tax_rate": "21", "vat_registered": True}
    )
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    body = {"product": product, "code": "pro", "name": "Pro", "pricing_model": "flat"}
    body["prices"] = [{"currency": "RON", "amount": 3000}]
    plan = api.ok("POST", "/v1/plans", 201, json=body)["id"]
    coupon = {"code": "c20", "name": "20% off", "percent_off": 20, "duration": "forever"}
    coupon_id = api.ok("POST", "/v1/coupons", 201, json=coupon)["id"]
    subs, customers = [], []
    for n, (tax_rate, extra) in enumerate(
        [(None, {}), (None, {}), ("19", {}), (None, {"coupon": coupon_id}), (None, {})]
    ):
        customer = {"name": f"C{n}", **({"tax_rate": tax_rate} if tax_rate else {})}
        customers.append(api.ok("POST", "/v1/customers", 201, json=customer)["id"])
        sub = {"customer": customers[-1], "plan": plan, **extra}
        subs.append(api.ok("POST", "/v1/subscriptions", 201, json=sub)["id"])
    # Renewed on Feb 15 (T0 is Jan 15), all five in one batch.
    run_once(session_factory, FixedClock(T0 + timedelta(days=31)), only={"billing"})
    found = [renewal_invoice(api, sub) for sub in subs]
    assert [i["total"]["amount"] for i in found] == [3630, 3630, 3570, 2904, 3630]
    assert [i["customer"] for i in found] == customers
    assert len({i["number"] for i in found}) == 5
    renewed = api.ok("GET", "/v1/events", params={"type": "subscription.renewed"})["data"]
    by_sub = {e["data"]["id"]: e["data"] for e in renewed}
    assert [by_sub[sub]["customer"] for sub in subs] == customers
    for sub in subs:
        assert by_sub[sub]["current_period_start"] == "2026-02-15T09:30:00Z"
        got = api.ok("GET", f"/v1/subscriptions/{sub}")
        assert got["current_period_end"] == "2026-03-15T09:30:00Z"


def test_renewals_in_one_batch_each_take_their_customers_vat(
    merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    api = merchant.api
    # A Romanian seller in OSS: consumers elsewhere in the EU pay their country's VAT, a
    # company whose VAT number VIES confirmed pays none (reverse charge).
    settings = {"timezone": "UTC", "vat_registered": True, "oss_registered": True}
    api.ok("PATCH", "/v1/account", json=settings)
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    body = {"product": product, "code": "pro", "name": "Pro", "pricing_model": "flat"}
    body["prices"] = [{"currency": "RON", "amount": 3000}]
    plan = api.ok("POST", "/v1/plans", 201, json=body)["id"]
    company = {"kind": "company", "legal_name": "Weber GmbH", "vat_id": "DE136695976"}
    people: list[dict[str, Any]] = [
        {},
        {"country": "DE"},
        {"country": "FR"},
        {"country": "DE", **company},
        {"country": "DE", **company},
        {"country": "US", "kind": "company", "legal_name": "Acme Inc."},
    ]
    subs, customers = [], []
    for n, extra in enumerate(people):
        customer = {"name": f"C{n}", **extra}
        customers.append(api.ok("POST", "/v1/customers", 201, json=customer)["id"])
        sub = {"customer": customers[-1], "plan": plan}
        subs.append(api.ok("POST", "/v1/subscriptions", 201, json=sub)["id"])
    with unit_of_work(session_factory) as session:
        confirmed = session.get(Customer, (merchant.account_id, customers[3]))
        assert confirmed is not None
        confirmed.vat_id_validated_at = T0
    run_once(session_factory, FixedClock(T0 + timedelta(days=31)), only={"billing"})
    found = [renewal_invoice(api, sub) for sub in subs]
    assert [i["total"]["amount"] for i in found] == [3630, 3570, 3600, 3000, 3570, 3000]
    assert [[t["rate"] for t in i["tax_lines"]] for i in found] == [
        ["21"],
        ["19"],
        ["20"],
        ["0"],
        ["19"],
        ["0"],
    ]
    # Each line keeps the decision its rate came from, for the invoice's VAT category.
    assert [
        (i["lines"][0]["tax_category"], i["lines"][0]["tax_exemption_code"]) for i in found
    ] == [
        ("S", None),
        ("S", None),
        ("S", None),
        ("AE", "VATEX-EU-AE"),
        ("S", None),
        ("O", "VATEX-EU-O"),
    ]


def test_each_plan_and_add_on_is_taxed_by_what_it_sells(
    merchant: Merchant, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    """The preview, the renewals of one batch and a change's proration each decide a line
    by its plan's or add-on's nature: for a seller in Romania in OSS, a consumer in Germany
    pays Germany's 19 % on electronic services and goods and Romania's 21 % on other
    services; a company there with a confirmed VAT number is reverse charged for services
    and gets goods as an intra-community supply (K)."""
    api = merchant.api
    settings = {"timezone": "UTC", "vat_registered": True, "oss_registered": True}
    api.ok("PATCH", "/v1/account", json=settings)
    product = api.ok("POST", "/v1/products", 201, json={"name": "Club"})["id"]
    natures = ("electronic", "services", "goods")
    plans = {}
    for nature in natures:
        body = {"product": product, "code": nature, "name": nature, "pricing_model": "flat"}
        body |= {"supply_nature": nature, "prices": [{"currency": "RON", "amount": 3000}]}
        plans[nature] = api.ok("POST", "/v1/plans", 201, json=body)["id"]
    company = {"kind": "company", "legal_name": "Weber GmbH", "vat_id": "DE136695976"}
    buyers = {
        "consumer": api.ok("POST", "/v1/customers", 201, json={"name": "Anna", "country": "DE"}),
        "company": api.ok(
            "POST", "/v1/customers", 201, json={"name": "W", "country": "DE", **company}
        ),
    }
    with unit_of_work(session_factory) as session:
        confirmed = session.get(Customer, (merchant.account_id, buyers["company"]["id"]))
        assert confirmed is not None
        confirmed.vat_id_validated_at = T0
    subs = {}
    for who, customer in buyers.items():
        for nature in natures:
            body = {"customer": customer["id"], "plan": plans[nature]}
            subs[(who, nature)] = api.ok("POST", "/v1/subscriptions", 201, json=body)["id"]
    expected = {
        ("consumer", "electronic"): ("S", "19"),
        ("consumer", "services"): ("S", "21"),
        ("consumer", "goods"): ("S", "19"),
        ("company", "electronic"): ("AE", "0"),
        ("company", "services"): ("AE", "0"),
        ("company", "goods"): ("K", "0"),
    }

    def decided(lines: list[dict[str, Any]]) -> tuple[str, str]:
        (line,) = lines
        return line["tax_category"], line["tax_rate"]

    previews = {
        key: decided(
            api.ok(
                "GET",
                f"/v1/customers/{buyers[key[0]]['id']}/upcoming_invoice",
                params={"subscription": sub},
            )["lines"]
        )
        for key, sub in subs.items()
    }
    assert previews == expected
    clock.advance(timedelta(days=31))
    run_once(session_factory, clock, only={"billing"})
    assert {key: decided(renewal_invoice(api, sub)["lines"]) for key, sub in subs.items()} == (
        expected
    )
    # Half way through the period, a box of goods added to the company's software.
    box = {"code": "box", "name": "Box", "pricing_model": "flat", "supply_nature": "goods"}
    box["prices"] = [{"currency": "RON", "amount": 1000}]
    add_on = api.ok("POST", "/v1/add_ons", 201, json=box)["id"]
    clock.advance(timedelta(days=14))
    sub = subs[("company", "electronic")]
    body = {"add_ons": [{"add_on": add_on}], "effective": "now"}
    api.ok("POST", f"/v1/subscriptions/{sub}/change", json=body)
    found = api.ok("GET", "/v1/invoices", params={"subscription": sub})["data"]
    (change,) = [i for i in found if i["reason"] == "subscription_update"]
    # Half of the box's month, the software left as it was.
    assert [(line["amount"]["amount"], line["tax_category"]) for line in change["lines"]] == [
        (500, "K")
    ]
