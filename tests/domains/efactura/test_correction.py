"""Correcting an invoice ANAF rejected: a credit note for all of it and a new invoice with
the same lines, which owes exactly what the old one still owed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import sending
from recura.domains.efactura.connections import Anaf
from tests.conftest import T0, Merchant
from tests.domains.efactura.conftest import connect
from tests.domains.efactura.documents import add_einvoice, row
from tests.domains.efactura.test_sending import first_invoice
from tests.event_contract import check_recorded
from tests.fakes.anaf_server import FakeAnaf
from tests.scenarios.world import World


def run(factory: sessionmaker[Session], clock: FixedClock, anaf: Anaf) -> None:
    sending.upload_due(lambda: unit_of_work(factory), clock, anaf=anaf)


def lines(merchant: Merchant, invoice_id: str) -> list[tuple[str, int, str]]:
    found = merchant.api.ok("GET", f"/v1/invoices/{invoice_id}")["lines"]
    return [(line["description"], line["amount"]["amount"], line["tax_rate"]) for line in found]


def test_a_rejected_open_invoice_is_credited_and_issued_again_owing_the_same(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
    client: TestClient,
) -> None:
    invoice = first_invoice(merchant)
    assert invoice["status"] == "open"
    owed = invoice["amount_due"]["amount"]
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    fake_anaf.processing_polls = 0
    fake_anaf.reject(invoice["number"], ["[BR-RO-100] Adresa cumparatorului lipseste"])
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    run(session_factory, clock, anaf)
    clock.advance(sending.BACKOFF[0])
    run(session_factory, clock, anaf)
    run(session_factory, clock, anaf)
    assert row(session_factory, merchant.account_id, einvoice).state == "rejected"

    done = merchant.api.ok("POST", f"/v1/einvoices/{einvoice}/correct")
    assert done["einvoice"]["correction_invoice"] == done["invoice"]
    note = merchant.api.ok("GET", f"/v1/credit_notes/{done['credit_note']}")
    assert (note["invoice"], note["total"]["amount"]) == (invoice["id"], invoice["total"]["amount"])
    old = merchant.api.ok("GET", f"/v1/invoices/{invoice['id']}")
    # Settled by the credit, not by money: nothing is charged for it any more.
    assert (old["status"], old["amount_credited"]["amount"]) == ("paid", invoice["total"]["amount"])
    new = merchant.api.ok("GET", f"/v1/invoices/{done['invoice']}")
    assert new["number"] != invoice["number"]
    assert new["status"] == "open"
    assert new["amount_due"]["amount"] == owed
    assert (new["total"]["amount"], new["tax_total"]["amount"]) == (
        invoice["total"]["amount"],
        invoice["tax_total"]["amount"],
    )
    assert lines(merchant, done["invoice"]) == lines(merchant, invoice["id"])
    entries = merchant.api.ok("GET", f"/v1/customers/{invoice['customer']}/balance_entries")["data"]
    assert sum(e["amount"]["amount"] for e in entries) == 0
    # Once only.
    again = merchant.api.post(f"/v1/einvoices/{einvoice}/correct")
    assert again.status_code == 409
    assert "corrected already" in again.json()["detail"]
    # The new invoice's e-invoice goes through on its own.
    fresh = add_einvoice(session_factory, merchant.account_id, done["invoice"], clock.now())
    run(session_factory, clock, anaf)
    clock.advance(sending.BACKOFF[0])
    run(session_factory, clock, anaf)
    run(session_factory, clock, anaf)
    assert row(session_factory, merchant.account_id, fresh).state == "accepted"
    entries = merchant.api.ok("GET", "/v1/audit_log")["data"]
    assert any(e["action"] == "einvoice.correct" and e["target_id"] == einvoice for e in entries), (
        entries
    )
    check_recorded(session_factory, merchant.account_id, client.app)  # type: ignore[arg-type]


def test_a_rejected_paid_invoice_is_reissued_paid_by_its_own_credit(
    session_factory: sessionmaker[Session], merchant: Merchant, clock: FixedClock
) -> None:
    invoice = first_invoice(merchant)
    merchant.api.ok("POST", f"/v1/invoices/{invoice['id']}/pay", json={"paid_out_of_band": True})
    einvoice = add_einvoice(
        session_factory, merchant.account_id, invoice["id"], clock.now(), state="rejected"
    )
    done = merchant.api.ok("POST", f"/v1/einvoices/{einvoice}/correct")
    note = merchant.api.ok("GET", f"/v1/credit_notes/{done['credit_note']}")
    assert note["credited_to_balance"]["amount"] == invoice["total"]["amount"]
    new = merchant.api.ok("GET", f"/v1/invoices/{done['invoice']}")
    # What was paid for the old one pays the new one: the customer is not charged again.
    assert new["status"] == "paid"
    assert new["amount_due"]["amount"] == 0
    assert new["credit_applied"]["amount"] == invoice["total"]["amount"]
    entries = merchant.api.ok("GET", f"/v1/customers/{invoice['customer']}/balance_entries")["data"]
    assert sum(e["amount"]["amount"] for e in entries) == 0


def test_only_a_rejected_invoice_not_credited_before_is_corrected(
    session_factory: sessionmaker[Session], merchant: Merchant, clock: FixedClock
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": "RO18547290"})
    world = World(merchant.api, T0)
    customer = world.customer(kind="company", legal_name="Client SRL", country="RO")
    invoice = world.invoices(world.subscribe(customer, world.plan(4900))["id"])[0]
    accepted = add_einvoice(
        session_factory, merchant.account_id, invoice["id"], clock.now(), state="accepted"
    )
    refused = merchant.api.post(f"/v1/einvoices/{accepted}/correct")
    assert refused.status_code == 409
    assert "accepted" in refused.json()["detail"]
    assert merchant.api.post("/v1/einvoices/einv_nope/correct").status_code == 404
    other = world.invoices(world.subscribe(customer, world.plan(4900))["id"])[0]
    merchant.api.ok("POST", "/v1/credit_notes", 201, json={"invoice": other["id"], "amount": 100})
    rejected = add_einvoice(
        session_factory, merchant.account_id, other["id"], clock.now(), state="rejected"
    )
    partly = merchant.api.post(f"/v1/einvoices/{rejected}/correct")
    assert partly.status_code == 409
    assert "credited in part" in partly.json()["detail"]
    # Nothing was issued by the refusals.
    assert merchant.api.ok("GET", f"/v1/einvoices/{rejected}")["correction_invoice"] is None
