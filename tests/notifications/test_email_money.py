"""What subscribers are told about their money, through the real mail path: the invoice to
pay by bank transfer (with the EPC QR code banking apps scan, in euro) and its reminder
before it falls due, a refund, a cancellation set for the period's end; and the email log
shows exactly what each received."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import segno.helpers
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.jobs.worker import run_once
from recura.notifications import epc_qr
from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api
from tests.domains.documents.pdfs import rate_in_lei
from tests.notifications.mailbox import PUBLIC_URL, Mailbox
from tests.portal.conftest import emailed_link, get
from tests.scenarios.world import World

IBAN = "DE89 3704 0044 0532 0130 00"
BIC = "COBADEFFXXX"
BENEFICIARY = "Test Merchant SRL"  # the merchant's legal name
PRICE, TOTAL = 4900, 5929  # 21% VAT on top


def deliver(factory: sessionmaker[Session], mailer: Mailer) -> None:
    """The outbox's fan-out, then the sending."""
    for _ in range(2):
        run_once(factory, FixedClock(T0), mailer)


def address() -> str:
    return f"client-{uuid.uuid4().hex[:10]}@example.com"


def transfer_invoice(
    api: Api, currency: str = "EUR", locale: str | None = "de-AT", **settings: Any
) -> tuple[World, str, str, dict[str, Any]]:
    """A customer paying by bank transfer: its first invoice, sent, open."""
    world = World(api, T0, currency=currency, iban=IBAN, bic=BIC, **settings)
    if currency != "RON":
        rate_in_lei(api, currency)  # the invoice's PDF, which its email carries, needs it
    to = address()
    customer = world.customer(card=None, email=to, locale=locale)
    sub = world.subscribe(customer, world.plan(PRICE), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    assert invoice["status"] == "open"
    return world, customer, to, invoice


def images(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.walk() if part.get_content_type() == "image/png"]


def test_a_bank_transfer_invoice_says_how_to_pay_with_an_epc_qr_code(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    _, customer, to, invoice = transfer_invoice(api)
    deliver(session_factory, mailer)
    (sent,) = mailbox.of("invoice_sent", to)
    reference = invoice["payment_reference"]
    # A German customer of a Romanian merchant reads English, the account's fallback.
    assert sent.message["Content-Language"] == "en"
    assert str(sent.message["Subject"]) == (
        f"Invoice {invoice['number']} from {BENEFICIARY}: €59.29 due by January 29, 2026"
    )
    text = sent.part("plain")
    for expected in (
        "Amount: €59.29",
        "Due date: January 29, 2026",
        f"Beneficiary: {BENEFICIARY}",
        f"IBAN: {IBAN}",
        f"BIC: {BIC}",
        "- Pro: €49.00",
        "VAT: €10.29",
        "Total: €59.29",
    ):
        assert expected in text, expected
    grouped = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    assert f"Payment reference: {grouped}" in text
    assert f"{PUBLIC_URL}/portal/invoice/" in text
    # The QR code is inline, the SEPA credit transfer of EPC069-12 for exactly this invoice.
    html = sent.part("html")
    assert 'src="cid:epc-qr@recura"' in html
    (image,) = images(sent.message)
    assert image["Content-ID"] == "<epc-qr@recura>"
    payload = (
        f"BCD\n002\n1\nSCT\n{BIC}\n{BENEFICIARY}\nDE89370400440532013000\nEUR59.29\n\n{reference}"
    )
    assert payload == epc_qr.payload({**invoice_context(reference), "amount": TOTAL})
    independent = segno.helpers._make_epc_qr_data(  # segno's own encoder of the same transfer
        BENEFICIARY, "DE89370400440532013000", "59.29", reference=reference, bic=BIC, encoding=1
    )
    assert independent.decode() == payload
    assert image.get_content() == epc_qr.png(payload)

    # The email log shows what was sent, word for word.
    params = {"customer": customer, "template": "invoice_sent"}
    (row,) = api.ok("GET", "/v1/email_messages", params=params)["data"]
    logged = api.ok("GET", f"/v1/email_messages/{row['id']}")
    assert logged["template"] == "invoice_sent"
    assert logged["subject"] == str(sent.message["Subject"])
    # (as received, over SMTP, with CRLF line ends)
    assert logged["text"].splitlines() == text.splitlines()
    assert logged["html"].splitlines() == html.splitlines()


def invoice_context(reference: str) -> dict[str, Any]:
    return {
        "currency": "EUR",
        "beneficiary": BENEFICIARY,
        "iban": IBAN.replace(" ", ""),
        "bic": BIC,
        "reference": reference,
    }


def test_the_reminder_goes_once_days_before_the_invoice_falls_due(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    world, _, to, invoice = transfer_invoice(api, invoice_reminder_days=3)
    due = datetime.fromisoformat(invoice["due_at"])
    deliver(session_factory, mailer)
    world.advance_to(due - timedelta(days=3, hours=1))
    deliver(session_factory, mailer)
    assert mailbox.of("invoice_due_reminder", to) == []
    world.advance_to(due - timedelta(days=3) + timedelta(hours=1))
    deliver(session_factory, mailer)
    world.advance_to(due - timedelta(days=1))
    deliver(session_factory, mailer)
    (reminder,) = mailbox.of("invoice_due_reminder", to)
    assert str(reminder.message["Subject"]) == (
        f"Reminder: invoice {invoice['number']} is due on January 29, 2026"
    )
    assert f"IBAN: {IBAN}" in reminder.part("plain")
    assert len(images(reminder.message)) == 1


def test_no_reminder_for_an_invoice_no_longer_open(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    world, customer, to, invoice = transfer_invoice(api)
    deliver(session_factory, mailer)
    api.ok("POST", f"/v1/invoices/{invoice['id']}/void", json={})
    world.advance_to(datetime.fromisoformat(invoice["due_at"]) - timedelta(days=1))
    deliver(session_factory, mailer)
    assert mailbox.of("invoice_due_reminder", to) == []
    found = api.ok(
        "GET",
        "/v1/email_messages",
        params={"customer": customer, "template": "invoice_due_reminder"},
    )["data"]
    assert [(e["status"], e["last_error"]) for e in found] == [
        ("skipped", "the invoice is no longer open")
    ]


def test_a_transfer_in_another_currency_has_no_qr_code_and_a_merchant_may_turn_reminders_off(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    _, customer, to, _ = transfer_invoice(
        api, currency="RON", locale="ro-RO", invoice_reminder_days=None
    )
    deliver(session_factory, mailer)
    (sent,) = mailbox.of("invoice_sent", to)
    assert sent.message["Content-Language"] == "ro"
    assert "IBAN: DE89 3704 0044 0532 0130 00" in sent.part("plain")
    assert "Suma: 59,29\xa0RON" in sent.part("plain")
    assert "cid:" not in sent.part("html")
    assert images(sent.message) == []
    templates = {
        e["template"]
        for e in api.ok("GET", "/v1/email_messages", params={"customer": customer})["data"]
    }
    assert "invoice_sent" in templates
    assert "invoice_due_reminder" not in templates


def test_a_refund_is_confirmed_in_the_customers_language(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    world = World(api, T0)
    to = address()
    customer = world.customer(email=to, locale="ro")
    world.subscribe(customer, world.plan(PRICE))
    world.advance_to(T0 + timedelta(minutes=1))  # the first invoice is charged
    deliver(session_factory, mailer)
    (payment,) = api.ok("GET", "/v1/payments", params={"customer": customer})["data"]
    refund = api.ok("POST", "/v1/refunds", 201, json={"payment": payment["id"], "amount": 2000})
    assert refund["status"] == "succeeded"
    deliver(session_factory, mailer)
    deliver(session_factory, mailer)
    (sent,) = mailbox.of("refund", to)
    (receipt,) = mailbox.of("receipt", to)
    number = str(receipt.message["Subject"]).rsplit(" ", 1)[1]
    assert str(sent.message["Subject"]) == f"Rambursare de 20,00\xa0RON pentru factura {number}"
    assert f"Am rambursat suma de 20,00\xa0RON pentru factura {number}" in sent.part("plain")


def test_a_cancellation_at_period_end_is_confirmed_with_a_link_to_keep_it(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    world = World(api, T0)
    to = address()
    customer = world.customer(email=to, locale="en-GB")
    sub = world.subscribe(customer, world.plan(PRICE, name="Pro"))
    deliver(session_factory, mailer)
    world.act(sub["id"], "cancel", at_period_end=True)
    path = emailed_link(session_factory, mailer, mailbox, "cancel_scheduled", to)
    (sent,) = mailbox.of("cancel_scheduled", to)
    assert str(sent.message["Subject"]) == "Your Pro subscription ends on February 15, 2026"
    assert "You keep access until February 15, 2026." in sent.part("plain")
    assert path.startswith("/portal/reactivate/")
    page = get(api.client, path)
    assert page.tree.get("lang") == "en"
    assert page.tree.xpath("//form//input[@name='action']/@value") == ["keep"]
