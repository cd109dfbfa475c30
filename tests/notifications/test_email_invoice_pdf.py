"""The invoice and receipt emails carry the invoice's PDF, exactly as the API serves it:
an email whose PDF is not made yet waits for it, then goes once, with it."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import EmailMessage as EmailRow
from recura.jobs.worker import run_once
from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api
from tests.notifications.mailbox import Mailbox
from tests.notifications.test_email_money import PRICE, address, deliver, transfer_invoice
from tests.scenarios.world import World


def pdfs(message: EmailMessage) -> list[tuple[str, bytes]]:
    return [
        (str(part.get_filename()), bytes(part.get_content()))  # type: ignore[arg-type]
        for part in message.walk()
        if part.get_content_type() == "application/pdf"
    ]


def test_the_invoice_email_waits_for_its_pdf_and_carries_it(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    _, _, to, invoice = transfer_invoice(api)
    # The event dispatched and the email due, but no PDF made yet: nothing goes.
    run_once(session_factory, FixedClock(T0), mailer, only={"dispatch_events", "send_emails"})
    assert mailbox.of("invoice_sent", to) == []
    with session_factory() as session:
        row = session.scalars(select(EmailRow).where(EmailRow.template == "invoice_sent")).one()
        assert (row.status, row.attempts) == ("pending", 0)
        assert row.last_error == "waiting for the invoice's PDF"
    # Once made, the email goes with it, once, however often the worker runs.
    later = FixedClock(T0 + timedelta(minutes=1))
    for _ in range(3):
        run_once(session_factory, later, mailer, only={"invoice_pdfs", "send_emails"})
    (sent,) = mailbox.of("invoice_sent", to)
    pdf = api.get(f"/v1/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200
    assert pdfs(sent.message) == [(f"{invoice['number']}.pdf", pdf.content)]
    # The text and the HTML are still there, beside it.
    assert "Payment reference" in sent.part("plain")
    assert "cid:epc-qr@recura" in sent.part("html")


def test_the_receipt_carries_the_invoice_pdf(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    world = World(api, T0)
    to = address()
    customer = world.customer(email=to, locale="ro")
    sub = world.subscribe(customer, world.plan(PRICE))
    (invoice,) = world.invoices(sub["id"])
    if invoice["status"] != "paid":
        invoice = api.ok("POST", f"/v1/invoices/{invoice['id']}/pay", json={})
    assert invoice["status"] == "paid"
    deliver(session_factory, mailer)
    (receipt,) = mailbox.of("receipt", to)
    pdf = api.get(f"/v1/invoices/{invoice['id']}/pdf").content
    assert pdfs(receipt.message) == [(f"{invoice['number']}.pdf", pdf)]
