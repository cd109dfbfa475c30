"""A German company's VAT number decides its renewals' VAT through VIES: confirmed, it is
reverse-charged; when VIES is down at the re-check before a renewal, that renewal is
charged VAT with the mention saying why; the next confirmation returns it to reverse
charge. The worker runs as it does in production: VAT checks first, then billing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.jobs.worker import run_once
from tests.conftest import T0, Api
from tests.event_contract import check_recorded
from tests.fakes.vies_server import FakeVies
from tests.own_database import database_url, engine, session_factory

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]

OWN = "RO18547290"
WEBER = "DE136695976"


def work(factory: sessionmaker[Session], at: datetime) -> dict[str, int]:
    return run_once(factory, FixedClock(at), only={"vat_checks", "billing"})


def invoices_of(api: Api, sub: str) -> list[dict[str, Any]]:
    found = api.ok("GET", "/v1/invoices", params={"subscription": sub, "limit": 100})["data"]
    return sorted(found, key=lambda i: i["created_at"])


def vat_of(invoice: dict[str, Any]) -> tuple[str, str, list[str], int]:
    line = invoice["lines"][0]
    return line["tax_category"], line["tax_rate"], line["tax_notes"], invoice["total"]["amount"]


def test_reverse_charge_follows_what_vies_says_at_each_renewal(
    api: Api, session_factory: sessionmaker[Session], vies_alone: FakeVies, merchant: Any
) -> None:
    vies = vies_alone
    settings = {"timezone": "UTC", "vat_registered": True, "vat_id": OWN}
    api.ok("PATCH", "/v1/account", json=settings)
    vies.register(OWN, "TEST MERCHANT SRL", "Cluj-Napoca")
    vies.register(WEBER, "Weber GmbH", "Hauptstr. 5, 10115 Berlin")
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    body = {"product": product, "code": "pro", "name": "Pro", "pricing_model": "flat"}
    body["prices"] = [{"currency": "RON", "amount": 3000}]
    plan = api.ok("POST", "/v1/plans", 201, json=body)["id"]
    company = {"kind": "company", "legal_name": "Weber GmbH", "country": "DE", "vat_id": WEBER}
    cid = api.ok("POST", "/v1/customers", 201, json=company)["id"]

    # Confirmed by VIES before the first invoice: reverse charge.
    work(session_factory, T0)
    shown = api.ok("GET", f"/v1/customers/{cid}")["vat_check"]
    assert shown["status"] == "validated"
    assert shown["consultation_number"] in vies.consultations
    sub = api.ok("POST", "/v1/subscriptions", 201, json={"customer": cid, "plan": plan})["id"]
    assert vat_of(invoices_of(api, sub)[0]) == ("AE", "0", [], 3000)

    # Feb 15: the confirmation is 31 days old, and VIES is down when it is checked again.
    vies.outage("DE", "MS_UNAVAILABLE")
    work(session_factory, T0 + timedelta(days=31))
    assert api.ok("GET", f"/v1/customers/{cid}")["vat_check"]["status"] == "pending"
    # Not silently zero-rated: the seller's Romanian VAT, and the invoice says why.
    assert vat_of(invoices_of(api, sub)[1]) == ("S", "21", ["vat_id_unchecked"], 3630)

    # VIES answers again at the retry; Mar 15's renewal is reverse-charged once more.
    vies.restore()
    work(session_factory, T0 + timedelta(days=31, minutes=20))
    assert api.ok("GET", f"/v1/customers/{cid}")["vat_check"]["status"] == "validated"
    work(session_factory, T0 + timedelta(days=59))
    assert vat_of(invoices_of(api, sub)[2]) == ("AE", "0", [], 3000)
    seen = check_recorded(session_factory, merchant.account_id, api.client.app)
    assert "customer.vat_id.validated" in seen


def test_in_oss_the_unconfirmed_company_pays_its_countrys_vat(
    api: Api, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    settings = {"timezone": "UTC", "vat_registered": True, "oss_registered": True}
    api.ok("PATCH", "/v1/account", json={**settings, "vat_id": OWN})
    vies_alone.outage("DE", "TIMEOUT")
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    body = {"product": product, "code": "pro", "name": "Pro", "pricing_model": "flat"}
    body["prices"] = [{"currency": "RON", "amount": 3000}]
    plan = api.ok("POST", "/v1/plans", 201, json=body)["id"]
    company = {"kind": "company", "legal_name": "Weber GmbH", "country": "DE", "vat_id": WEBER}
    cid = api.ok("POST", "/v1/customers", 201, json=company)["id"]
    work(session_factory, T0)
    sub = api.ok("POST", "/v1/subscriptions", 201, json={"customer": cid, "plan": plan})["id"]
    (first,) = invoices_of(api, sub)
    assert vat_of(first) == ("S", "19", ["vat_id_unchecked", "destination_services"], 3570)
