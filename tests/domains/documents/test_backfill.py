"""`recura documents backfill`: the PDFs of documents issued while an account had PDFs off
(as before Recura made them) are queued, made by the worker as new ones are, and queued once
however often it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from recura.cli import app
from recura.db.models import InvoicePdf
from recura.db.unit_of_work import unit_of_work
from recura.domains.documents import backfill
from tests.conftest import SECRET, T0, Api
from tests.domains.documents.pdfs import download, make, seller, text
from tests.domains.documents.test_invoice_pdfs import BUYER_RO

runner = CliRunner()


def backfilled(database_url: str, *args: str, code: int = 0) -> str:
    env = {"RECURA_DATABASE_URL": database_url, "RECURA_SECRET_KEY": SECRET, "COLUMNS": "200"}
    result = runner.invoke(app, ["documents", "backfill", *args], env=env)
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


def issued_without_pdfs(api: Api, factory: sessionmaker[Session]) -> tuple[str, str]:
    """An open invoice and a credit note of it, issued while the account had PDFs off."""
    world = seller(api)
    api.ok("PATCH", "/v1/account", json={"invoice_pdfs": False})
    customer = world.customer(card=None, locale="ro", **BUYER_RO)
    sub = world.subscribe(customer, world.plan(4900), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    body = {"invoice": invoice["id"], "amount": 1000, "reason": "product_unsatisfactory"}
    note = api.ok("POST", "/v1/credit_notes", 201, json=body)["id"]
    assert make(factory)["invoice_pdfs"] == 0
    api.ok("PATCH", "/v1/account", json={"invoice_pdfs": True})
    return invoice["id"], note


def pdf_rows(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(InvoicePdf)) or 0)


def test_backfilled_pdfs_are_made_by_the_worker_and_queued_once(
    api: Api, session_factory: sessionmaker[Session], database_url: str
) -> None:
    invoice, note = issued_without_pdfs(api, session_factory)
    assert api.get(f"/v1/invoices/{invoice}/pdf").status_code == 409
    assert backfilled(database_url, "--limit", "1") == "1 PDFs queued; the worker makes them."
    assert backfilled(database_url) == "1 PDFs queued; the worker makes them."
    # Queued with the real clock's time: the worker makes them on its next pass.
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert make(session_factory, later)["invoice_pdfs"] == 2
    assert "Factură" in text(download(api, f"/v1/invoices/{invoice}/pdf"))
    assert "Notă de credit" in text(download(api, f"/v1/credit_notes/{note}/pdf"))
    assert backfilled(database_url) == "0 PDFs queued; the worker makes them."
    assert pdf_rows(session_factory) == 2


def test_an_account_with_pdfs_off_is_left_alone(
    api: Api, session_factory: sessionmaker[Session], database_url: str, merchant: Any
) -> None:
    issued_without_pdfs(api, session_factory)
    api.ok("PATCH", "/v1/account", json={"invoice_pdfs": False})
    assert backfilled(database_url) == "0 PDFs queued; the worker makes them."
    refused = backfilled(database_url, "--account", merchant.account_id, code=1)
    assert "invoice PDFs off" in refused
    missing = backfilled(database_url, "--account", "acct_nope", code=1)
    assert missing == "Error: No account with id 'acct_nope'."
    with unit_of_work(session_factory) as session:
        assert backfill.queue_missing(session, T0) == 0
    assert pdf_rows(session_factory) == 0
