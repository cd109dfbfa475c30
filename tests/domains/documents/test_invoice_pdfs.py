"""Each issued invoice and credit note gets its PDF once, from the worker, with every
mention the Romanian Fiscal Code (art. 319 (20)) asks for, in the customer's language; the
API serves it (409 until it is made), and it never changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.core import epc
from recura.db.models import Account, AccountLogo, Customer, Event, Invoice, InvoiceLine, InvoicePdf
from recura.domains.documents import content, pdf
from recura.domains.documents.content import DASH
from tests.conftest import T0, Api
from tests.domains.documents.pdfs import SELLER, download, make, seller, text

BUYER_RO = {
    "kind": "company",
    "legal_name": "Client Exemplu SRL",
    "vat_id": "RO14399840",
    "registration_number": "J12/3456/2019",
    "address": {
        "line1": "Str. Memorandumului 28",
        "city": "Cluj-Napoca",
        "postal_code": "400114",
        "county": "RO-CJ",
        "country": "RO",
    },
}
SELLER_MENTIONS_RO = (
    "Norditech Software SRL",
    "Cod de identificare fiscală: RO18547290",
    "Nr. înregistrare Registrul Comerțului: J40/12345/2015",
    "Capital social: 200,00 RON",
    "Bd. Unirii 15",
    "București, Sectorul 3",
    "Cont bancar: RO49AAAA1B31007593840000",
    "BIC: AAAARO22",
)


def _first_invoice(api: Api, world: Any, customer: str, **over: Any) -> dict[str, Any]:
    sub = world.subscribe(customer, world.plan(4900), **over)
    (invoice,) = world.invoices(sub["id"])
    return dict(invoice)


def test_a_domestic_b2b_invoice_carries_every_mention_in_romanian(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = seller(api)
    customer = world.customer(card=None, locale="ro", **BUYER_RO)
    invoice = _first_invoice(api, world, customer, collection_method="send_invoice")
    path = f"/v1/invoices/{invoice['id']}/pdf"
    # Issued, but not made yet: the request never renders it.
    waiting = api.get(path)
    assert waiting.status_code == 409
    assert waiting.headers["content-type"] == "application/problem+json"
    assert make(session_factory)["invoice_pdfs"] == 1
    words = text(download(api, path))
    for expected in (
        "Factură",
        "Seria NDT",
        f"Numărul {invoice['number']}",
        "Data emiterii 15 ianuarie 2026",
        f"Perioada prestării 15 ianuarie 2026 {DASH} 15 februarie 2026",
        "Data scadenței 29 ianuarie 2026",
        *SELLER_MENTIONS_RO,
        "Client Exemplu SRL",
        "Cod de identificare fiscală: RO14399840",
        "Nr. înregistrare Registrul Comerțului: J12/3456/2019",
        "Str. Memorandumului 28",
        "400114 Cluj-Napoca",
        # The line: quantity, unit price and value without VAT, the rate.
        "Preț unitar fără TVA",
        f"1 Pro 15 ianuarie 2026 {DASH} 15 februarie 2026 1 49,00 49,00 21%",
        # The base and VAT of the rate, the totals.
        "Defalcarea TVA pe cote",
        "21% 49,00 RON 10,29 RON",
        "Total fără TVA 49,00 RON",
        "Total TVA 10,29 RON",
        "Total cu TVA 59,29 RON",
        # How to pay it.
        "Referința plății "
        + " ".join(invoice["payment_reference"][i : i + 4] for i in range(0, 20, 4)),
        "IBAN RO49 AAAA 1B31 0075 9384 0000",
    ):
        assert expected in words, expected
    # In lei already: no VAT in another currency, no EPC QR code (euro only).
    assert "TVA în" not in words
    assert "Scanați" not in words


def test_a_consumer_reads_the_invoice_in_english_and_it_never_changes(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = seller(api)
    customer = world.customer(
        name="Ion Ionescu",
        email="ion@example.ro",
        address={
            "line1": "Str. Lungă 3",
            "city": "Brașov",
            "postal_code": "500035",
            "county": "RO-BV",
            "country": "RO",
        },
    )
    invoice = _first_invoice(api, world, customer)
    make(session_factory)
    path = f"/v1/invoices/{invoice['id']}/pdf"
    first = download(api, path)
    words = text(first)
    for expected in (
        "Invoice",
        f"Number {invoice['number']}",
        "Issue date January 15, 2026",
        f"Supply period January 15, 2026 {DASH} February 15, 2026",
        "SELLER Norditech Software SRL",
        "VAT / tax ID: RO18547290",
        "Trade register no.: J40/12345/2015",
        "Share capital: RON 200.00",
        "BUYER Ion Ionescu Str. Lungă 3 500035 Brașov Brașov Romania",
        "Unit price excl. VAT",
        f"1 Pro January 15, 2026 {DASH} February 15, 2026 1 49.00 49.00 21%",
        "21% RON 49.00 RON 10.29",
        "Total incl. VAT RON 59.29",
    ):
        assert expected in words, expected
    # A person is no company: no trade-register line for the buyer.
    assert words.count("Trade register no.") == 1
    # Charged automatically: no transfer to make.
    assert "Payment reference" not in words
    with session_factory() as session:
        row = session.scalars(
            select(InvoicePdf).where(InvoicePdf.invoice_id == invoice["id"])
        ).one()
        assert (row.locale, row.sha256) == ("en", pdf.sha256(first))
        made_at = row.made_at
    # Made once: the event dispatched again, the worker run again later, nothing changes.
    with session_factory.begin() as session:
        for event in session.scalars(select(Event).where(Event.object_id == invoice["id"])):
            event.dispatched_at = None
    make(session_factory, T0 + timedelta(days=3))
    assert download(api, path) == first
    with session_factory() as session:
        rows = session.scalars(select(InvoicePdf).where(InvoicePdf.invoice_id == invoice["id"]))
        (row,) = rows.all()
        assert row.made_at == made_at


def test_an_eu_reverse_charge_invoice_says_so(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = seller(api, currency="EUR")
    customer = world.customer(
        locale="ro",
        kind="company",
        legal_name="Beispiel GmbH",
        country="DE",
        vat_id="DE136695976",
        address={
            "line1": "Hauptstraße 1",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
        },
    )
    with session_factory.begin() as session:
        # VIES confirmed the number (the check itself is tested with VIES).
        found = session.scalars(select(Customer).where(Customer.id == customer)).one()
        found.vat_id_validated_at = T0 - timedelta(days=1)
    api.ok(
        "POST",
        "/v1/exchange_rates",
        201,
        json={"date": "2026-01-14", "base": "EUR", "quote": "RON", "rate": "5.0865"},
    )
    invoice = _first_invoice(api, world, customer)
    make(session_factory)
    words = text(download(api, f"/v1/invoices/{invoice['id']}/pdf"))
    for expected in (
        "Beispiel GmbH",
        "Cod de identificare fiscală: DE136695976",
        "Germania",
        f"1 Pro 15 ianuarie 2026 {DASH} 15 februarie 2026 1 49,00 49,00 0%",
        "Taxare inversă: TVA se datorează de beneficiar (art. 278 alin. (2) din Codul fiscal; "
        "art. 44 și 196 din Directiva 2006/112/CE)",
        "Total TVA 0,00 EUR",
        "Total cu TVA 49,00 EUR",
    ):
        assert expected in words, expected


def test_a_euro_invoice_states_its_vat_in_lei_and_carries_the_epc_qr_code(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = seller(api, currency="EUR")
    # The rate in force on the issue day is the latest published on or before it.
    for day, rate in (("2026-01-13", "5.0800"), ("2026-01-14", "5.0865"), ("2026-01-16", "6")):
        body = {"date": day, "base": "EUR", "quote": "RON", "rate": rate}
        api.ok("POST", "/v1/exchange_rates", 201, json=body)
    customer = world.customer(card=None, locale="en", **BUYER_RO)
    invoice = _first_invoice(api, world, customer, collection_method="send_invoice")
    make(session_factory)
    words = text(download(api, f"/v1/invoices/{invoice['id']}/pdf"))
    # 10.29 EUR of VAT at 5.0865 = 52.34 RON.
    assert "VAT in RON: RON 52.34 (1 EUR = 5.0865 RON, exchange rate of January 15, 2026)" in (
        words
    ), words
    assert "Scan with your banking app to pay" in words
    with session_factory() as session:
        stored = session.get_one(Invoice, (world_account(session, invoice["id"]), invoice["id"]))
        assert (stored.tax_currency, stored.tax_total_in_tax_currency) == ("RON", 5234)
        assert str(stored.tax_exchange_rate.normalize()) == "5.0865"
        # The QR code is the EPC069-12 transfer of exactly what is due, to the seller.
        document = _document(session, stored)
    assert document.payment is not None
    expected = epc.payload(
        SELLER["legal_name"], SELLER["iban"], SELLER["bic"], 5929, invoice["payment_reference"]
    )
    assert expected is not None
    qr = segno.make_qr(expected.encode(), error="m", boost_error=False)
    assert document.payment.qr_svg == qr.svg_data_uri(scale=4, border=4)


def world_account(session: Session, invoice_id: str) -> str:
    return session.scalars(select(Invoice.account_id).where(Invoice.id == invoice_id)).one()


def _document(session: Session, invoice: Invoice) -> content.Document:
    account = session.get_one(Account, invoice.account_id)
    customer = session.get_one(Customer, (invoice.account_id, invoice.customer_id))
    lines = list(
        session.scalars(
            select(InvoiceLine).where(
                InvoiceLine.account_id == invoice.account_id,
                InvoiceLine.invoice_id == invoice.id,
            )
        )
    )
    logo = session.get(AccountLogo, invoice.account_id)
    return content.of_invoice(account, customer, invoice, lines, logo, "en")


def test_a_credit_note_names_the_invoice_it_corrects(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = seller(api)
    customer = world.customer(card=None, locale="ro", **BUYER_RO)
    invoice = _first_invoice(api, world, customer, collection_method="send_invoice")
    body = {"invoice": invoice["id"], "amount": 2965, "memo": "Jumătate din lună: serviciu oprit."}
    note = api.ok("POST", "/v1/credit_notes", 201, json=body)
    path = f"/v1/credit_notes/{note['id']}/pdf"
    assert api.get(path).status_code == 409
    assert make(session_factory)["invoice_pdfs"] == 2  # the invoice's and the note's
    words = text(download(api, path))
    for expected in (
        "Notă de credit",
        f"Numărul {note['number']}",
        "Data emiterii 15 ianuarie 2026",
        f"Corectează factura {invoice['number']} din 15 ianuarie 2026",
        "Motiv: Jumătate din lună: serviciu oprit.",
        *SELLER_MENTIONS_RO,
        "Cod de identificare fiscală: RO14399840",
        f"1 Credit aferent facturii {invoice['number']} 1 24,50 24,50 21%",
        "21% 24,50 RON 5,15 RON",
        "Total creditat cu TVA 29,65 RON",
    ):
        assert expected in words, expected


def test_another_accounts_document_is_not_found(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    assert api.get("/v1/invoices/inv_nope/pdf").status_code == 404
    assert api.get("/v1/credit_notes/cn_nope/pdf").status_code == 404


def test_an_account_whose_invoices_another_system_issues_gets_no_pdfs(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = seller(api)
    assert api.ok("PATCH", "/v1/account", json={"invoice_pdfs": False})["invoice_pdfs"] is False
    customer = world.customer(card=None, locale="ro", **BUYER_RO)
    invoice = _first_invoice(api, world, customer, collection_method="send_invoice")
    assert make(session_factory)["invoice_pdfs"] == 0
    with session_factory() as session:
        rows = session.scalars(
            select(InvoicePdf).where(InvoicePdf.invoice_id == invoice["id"])
        ).all()
    assert rows == []
    refused = api.get(f"/v1/invoices/{invoice['id']}/pdf")
    assert refused.status_code == 409
    assert "invoice PDFs are off" in refused.json()["detail"]
