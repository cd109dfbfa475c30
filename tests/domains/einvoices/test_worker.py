"""The worker makes each e-invoice after the billing transaction has committed, following
the event log; the API shows it. Without the rules a document waits, unvalidated, and is
validated once they are installed."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from recura import ids
from recura.clock import FixedClock
from recura.db.models import Account, EInvoice
from recura.db.unit_of_work import unit_of_work
from recura.domains.einvoices import repository, service, validation
from recura.jobs.worker import run_once, run_until_idle
from tests.conftest import Merchant, make_merchant
from tests.domains.einvoices.rules import reference_rules
from tests.domains.einvoices.test_matrix import COMPANY, SELLER, Shop
from tests.domains.payments.test_charge_now import transaction_open


@pytest.fixture
def shop(merchant: Merchant, session_factory: sessionmaker[Session]) -> Shop:
    merchant.api.ok("PATCH", "/v1/account", json=SELLER)
    # Start the worker's bookmark here: the earlier tests' documents are not this test's.
    with unit_of_work(session_factory) as session:
        cursor = repository.lock_cursor(session, service.CURSOR)
        cursor.last_event_id = ids.floor("event", time.time_ns() // 1_000_000)
    return Shop(merchant.api, merchant, session_factory, Path("/nonexistent"))


def _later() -> FixedClock:
    # Event ids carry the real time they were made at; the worker stays SETTLE behind.
    return FixedClock(datetime.now(UTC) + service.SETTLE + timedelta(minutes=1))


def _rows(factory: sessionmaker[Session], account_id: str) -> list[EInvoice]:
    with unit_of_work(factory) as session:
        found = session.scalars(
            select(EInvoice).where(EInvoice.account_id == account_id).order_by(EInvoice.id)
        ).all()
        session.expunge_all()
        return list(found)


def test_the_worker_makes_the_einvoices_of_invoices_and_credit_notes(
    shop: Shop,
    client: object,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(validation.ENV, str(reference_rules()))
    api = shop.api
    invoice = shop.invoice(shop.customer(**COMPANY), shop.plan())
    body = {"invoice": invoice["id"], "amount": 1210, "reason": "duplicate"}
    note = api.ok("POST", "/v1/credit_notes", 201, json=body)
    # Nothing is made in the request: only the worker makes e-invoices.
    assert api.get(f"/v1/invoices/{invoice['id']}/einvoice").status_code == 404
    # An account outside Romania gets none.
    other = make_merchant(session_factory, client, "Weber GmbH")  # type: ignore[arg-type]
    with unit_of_work(session_factory) as session:
        session.get_one(Account, other.account_id).country = "DE"
    Shop(other.api, other, session_factory, Path("/")).invoice(
        Shop(other.api, other, session_factory, Path("/")).customer(),
        Shop(other.api, other, session_factory, Path("/")).plan(),
    )
    # Not yet SETTLE after: an event committed late must not be passed over.
    assert run_once(session_factory, FixedClock(datetime.now(UTC)), only={"einvoices"}) == {
        "einvoices": 0
    }
    assert run_until_idle(session_factory, _later(), only={"einvoices"})["einvoices"] == 2
    assert _rows(session_factory, other.account_id) == []
    got = api.ok("GET", f"/v1/invoices/{invoice['id']}/einvoice")
    assert (got["state"], got["type_code"], got["findings"]) == ("pending", "380", [])
    assert got["deadline"] == "2026-01-22"
    xml = api.get(f"/v1/invoices/{invoice['id']}/einvoice.xml")
    assert xml.status_code == 200
    assert xml.headers["content-type"] == "application/xml"
    assert invoice["number"].encode() in xml.content
    got = api.ok("GET", f"/v1/credit_notes/{note['id']}/einvoice")
    assert (got["state"], got["type_code"]) == ("pending", "381")
    assert (
        b"<cbc:CreditNoteTypeCode>381"
        in api.get(f"/v1/credit_notes/{note['id']}/einvoice.xml").content
    )
    # Another pass makes nothing twice.
    assert run_until_idle(session_factory, _later(), only={"einvoices"})["einvoices"] == 0
    assert len(_rows(session_factory, shop.merchant.account_id)) == 2
    # Another tenant's id is a 404.
    assert other.api.get(f"/v1/invoices/{invoice['id']}/einvoice").status_code == 404


def test_without_the_rules_a_document_waits_unvalidated_until_they_are_installed(
    shop: Shop, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(validation.ENV, raising=False)
    invoice = shop.invoice(shop.customer(**COMPANY), shop.plan())
    run_until_idle(session_factory, _later(), only={"einvoices"})
    got = shop.api.ok("GET", f"/v1/invoices/{invoice['id']}/einvoice")
    assert got["state"] == "pending"
    assert got["validated_at"] is None
    assert [f["rule"] for f in got["findings"]] == [validation.RULES_MISSING]
    (row,) = _rows(session_factory, shop.merchant.account_id)
    made = row.xml
    monkeypatch.setenv(validation.ENV, str(reference_rules()))
    run_until_idle(session_factory, _later(), only={"einvoices"})
    got = shop.api.ok("GET", f"/v1/invoices/{invoice['id']}/einvoice")
    assert got["state"] == "pending"
    assert got["validated_at"] is not None
    assert got["findings"] == []
    (row,) = _rows(session_factory, shop.merchant.account_id)
    assert row.xml == made  # made once, never changed


def test_a_document_that_fails_the_rules_is_kept_invalid(
    shop: Shop, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(validation.ENV, str(reference_rules()))
    # A seller without an address: CIUS-RO needs its street, city and county.
    shop.api.ok("PATCH", "/v1/account", json={"address": None})
    invoice = shop.invoice(shop.customer(**COMPANY), shop.plan())
    run_until_idle(session_factory, _later(), only={"einvoices"})
    got = shop.api.ok("GET", f"/v1/invoices/{invoice['id']}/einvoice")
    assert got["state"] == "invalid"
    fatal = {f["rule"] for f in got["findings"] if f["severity"] == "fatal"}
    assert fatal == {"BR-RO-081", "BR-RO-091", "BR-RO-110"}
    assert got["validated_at"] is not None


def test_a_euro_document_waits_for_its_exchange_rate(
    shop: Shop, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(validation.ENV, str(reference_rules()))
    customer = shop.customer(**COMPANY, currency="EUR")
    invoice = shop.invoice(customer, shop.plan(4900, "EUR"))
    run_until_idle(session_factory, _later(), only={"einvoices"})
    got = shop.api.ok("GET", f"/v1/invoices/{invoice['id']}/einvoice")
    assert got["state"] == "pending"
    assert got["validated_at"] is None
    assert [f["rule"] for f in got["findings"]] == [service.NO_RATE]
    assert shop.api.get(f"/v1/invoices/{invoice['id']}/einvoice.xml").status_code == 404
    rate = {"date": "2026-01-15", "base": "EUR", "quote": "RON", "rate": "5.0912"}
    shop.api.ok("POST", "/v1/exchange_rates", 201, json=rate)
    run_until_idle(session_factory, _later(), only={"einvoices"})
    got = shop.api.ok("GET", f"/v1/invoices/{invoice['id']}/einvoice")
    assert (got["state"], got["findings"]) == ("pending", [])
    xml = shop.api.get(f"/v1/invoices/{invoice['id']}/einvoice.xml").content
    assert b'<cbc:TaxAmount currencyID="RON">52.39</cbc:TaxAmount>' in xml


def test_documents_are_validated_with_no_transaction_open(
    shop: Shop,
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(validation.ENV, str(reference_rules()))
    seen: list[bool] = []
    validate = validation.validate

    def watched(xml: bytes, root: Path | None = None) -> list[validation.Finding]:
        seen.append(transaction_open(engine))
        return validate(xml, root)

    monkeypatch.setattr(validation, "validate", watched)
    customer = shop.customer(**COMPANY)
    invoice = shop.invoice(customer, shop.plan())
    shop.api.ok("POST", "/v1/credit_notes", 201, json={"invoice": invoice["id"], "amount": 100})
    run_until_idle(session_factory, _later(), only={"einvoices"})
    assert seen == [False, False]
