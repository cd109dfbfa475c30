"""e-Factura end to end with Recura's own documents: an invoice's UBL e-invoice is made and
validated offline with the EN 16931 and CIUS-RO rules (from ../shared/reference, never
copied), uploaded to the fake ANAF, rejected, corrected by a credit note and a new invoice,
whose own e-invoice is made, validated, uploaded and accepted with its answer archived.
What ANAF receives is the stored document, byte for byte."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import EInvoice
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import sending
from recura.domains.efactura.connections import Anaf
from recura.domains.einvoices import service as einvoices
from recura.domains.einvoices import validation
from tests.conftest import T0, Merchant
from tests.domains.efactura.conftest import connect
from tests.domains.einvoices.rules import reference_rules
from tests.domains.einvoices.test_matrix import COMPANY, SELLER
from tests.fakes.anaf_server import FakeAnaf
from tests.scenarios.world import World


def make(factory: sessionmaker[Session], account_id: str, invoice_id: str) -> str:
    """What the worker does after finalisation for this invoice: its e-invoice, validated."""
    with unit_of_work(factory) as session:
        made = einvoices.make(
            session, Tenant(account_id, False), T0, invoice_id=invoice_id, rules=reference_rules()
        )
        return made.id


def stored(factory: sessionmaker[Session], account_id: str, einvoice_id: str) -> EInvoice:
    with unit_of_work(factory) as session:
        found = session.get_one(EInvoice, (account_id, einvoice_id))
        session.expunge(found)
        return found


def settle(factory: sessionmaker[Session], clock: FixedClock, anaf: Anaf) -> None:
    """Upload, then ask until ANAF has decided (the fake decides at the first question)."""
    units = lambda: unit_of_work(factory)  # noqa: E731
    sending.upload_due(units, clock, anaf=anaf)
    for _ in range(3):
        clock.advance(sending.BACKOFF[0])
        sending.upload_due(units, clock, anaf=anaf)


def test_a_rejected_invoice_is_corrected_and_its_correction_accepted(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(validation.ENV, str(reference_rules()))
    merchant.api.ok("PATCH", "/v1/account", json=SELLER)
    world = World(merchant.api, T0)
    sub = world.subscribe(world.customer(**COMPANY), world.plan(4900))
    (invoice,) = world.invoices(sub["id"])
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    fake_anaf.processing_polls = 0
    fake_anaf.reject(invoice["number"], ["[BR-RO-100] Adresa cumparatorului lipseste"])

    first = make(session_factory, merchant.account_id, invoice["id"])
    document = stored(session_factory, merchant.account_id, first)
    assert (document.state, document.findings) == ("pending", [])
    assert document.validated_at is not None
    settle(session_factory, clock, anaf)

    rejected = stored(session_factory, merchant.account_id, first)
    assert rejected.state == "rejected"
    assert "BR-RO-100" in str(rejected.anaf_messages)
    (sent,) = fake_anaf.messages.values()
    assert sent.xml == document.xml  # the validated document, unchanged
    assert hashlib.sha256(sent.xml).hexdigest() == document.sha256

    done = merchant.api.ok("POST", f"/v1/einvoices/{first}/correct")
    note = merchant.api.ok("GET", f"/v1/credit_notes/{done['credit_note']}")
    assert note["invoice"] == invoice["id"]
    second = make(session_factory, merchant.account_id, done["invoice"])
    assert stored(session_factory, merchant.account_id, second).findings == []
    settle(session_factory, clock, anaf)

    accepted = merchant.api.ok("GET", f"/v1/einvoices/{second}")
    assert (accepted["state"], accepted["has_answer"]) == ("accepted", True)
    assert accepted["validated_at"] is not None
    answer = merchant.api.get(f"/v1/einvoices/{second}/answer")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    # The credit note's own e-invoice is a valid CreditNote (381) naming the invoice.
    with unit_of_work(session_factory) as session:
        credit = einvoices.make(
            session,
            Tenant(merchant.account_id, False),
            T0,
            credit_note_id=done["credit_note"],
            rules=reference_rules(),
        )
        assert (credit.type_code, credit.findings) == ("381", [])
        assert invoice["number"].encode() in (credit.xml or b"")
