"""The invoice behind the link in the receipt and the invoice emails: its lines as issued,
in the customer's language, and how to pay it while a bank transfer is awaited."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from recura.notifications import epc_qr
from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api, Merchant
from tests.domains.documents.pdfs import made_first, rate_in_lei
from tests.notifications.mailbox import Mailbox
from tests.own_database import database_url, engine, session_factory
from tests.portal.conftest import Page, emailed_link, get, sign, subscriber
from tests.scenarios.world import World

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]

IBAN = "DE89370400440532013000"


def rows(page: Page, table: str) -> list[str]:
    return [
        " | ".join(" ".join(cell.text_content().split()) for cell in row.xpath("td"))
        for row in page.tree.xpath(f"//table[@id='{table}']//tr")
    ]


def test_the_receipt_lists_the_lines_and_links_to_the_invoice(
    api: Api, session_factory: sessionmaker[Session], mailer: Mailer, mailbox: Mailbox
) -> None:
    who = subscriber(api, "ro")
    path = emailed_link(session_factory, mailer, mailbox, "receipt", who.email)
    assert path.startswith("/portal/invoice/")
    (receipt,) = mailbox.of("receipt", who.email)
    text = receipt.part("plain").replace("\r\n", "\n")
    assert "- Pro: 49,00\xa0RON\nTVA: 10,29\xa0RON\nTotal: 59,29\xa0RON" in text
    assert "Vedeți factura: https://" in text
    (invoice,) = who.world.invoices(who.subscription)

    page = get(api.client, path)
    assert page.tree.get("lang") == "ro"
    assert f"Factura {invoice['number']}" in page.text
    assert "Plătită. Vă mulțumim!" in page.text
    assert rows(page, "lines") == [
        "Pro | 49,00 RON",
        "TVA | 10,29 RON",
        "Total | 59,29 RON",
        "Plătit | 59,29 RON",
    ]
    assert page.tree.xpath("//*[@id='transfer']") == []


def test_an_invoice_awaiting_a_transfer_shows_how_to_pay_and_its_qr_code(
    api: Api, session_factory: sessionmaker[Session], mailer: Mailer, mailbox: Mailbox
) -> None:
    world = World(api, T0, currency="EUR", iban=IBAN, bic="COBADEFFXXX")
    rate_in_lei(api)  # the invoice's PDF, which its email carries, needs it
    to = "hans@example.de"
    customer = world.customer(card=None, email=to, locale="de")
    sub = world.subscribe(customer, world.plan(4900), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    made_first(session_factory, invoice["id"])  # the email carries it
    path = emailed_link(session_factory, mailer, mailbox, "invoice_sent", to)
    page = get(api.client, path)
    assert page.tree.get("lang") == "en"  # German is not written: the account's fallback
    assert "Awaiting payment." in page.text
    reference = invoice["payment_reference"]
    grouped = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    assert rows(page, "transfer") == [
        "Amount due | €59.29",
        "Beneficiary | Test Merchant SRL",
        "IBAN | DE89 3704 0044 0532 0130 00",
        "BIC | COBADEFFXXX",
        f"Payment reference | {grouped}",
    ]
    qr_url = page.tree.get_element_by_id("epc-qr").get("src")
    assert qr_url == f"{path}/qr.png"
    image = api.client.get(qr_url)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    payload = epc_qr.payload(
        {
            "currency": "EUR",
            "amount": 5929,
            "beneficiary": "Test Merchant SRL",
            "iban": IBAN,
            "bic": "COBADEFFXXX",
            "reference": reference,
        }
    )
    assert payload is not None
    assert image.content == epc_qr.png(payload)

    api.ok("POST", f"/v1/invoices/{invoice['id']}/void", json={})
    assert "Canceled." in get(api.client, path).text
    assert api.client.get(qr_url).status_code == 404  # nothing to pay any more


def test_the_link_shows_only_the_customers_own_invoice(api: Api, merchant: Merchant) -> None:
    who = subscriber(api, "en")
    other = who.world.customer(email="other@example.com")
    (theirs,) = who.world.invoices(who.world.subscribe(other, who.world.plan(4900))["id"])
    (mine,) = who.world.invoices(who.subscription)
    assert get(
        api.client, f"/portal/invoice/{sign(merchant, 'invoice', who, subscription=mine['id'])}"
    )
    for token in (
        sign(merchant, "invoice", who, subscription=theirs["id"]),  # another customer's
        sign(merchant, "invoice", who, subscription=None),
        sign(merchant, "reactivate", who, subscription=mine["id"]),  # another page's
    ):
        assert get(api.client, f"/portal/invoice/{token}", status=404)


def test_vat_charged_to_an_unconfirmed_eu_company_says_why(
    api: Api, session_factory: sessionmaker[Session], mailer: Mailer, mailbox: Mailbox
) -> None:
    # VIES has not confirmed the German company's number: VAT is charged, and said why.
    world = World(api, T0, currency="EUR", iban=IBAN, bic="COBADEFFXXX")
    rate_in_lei(api, "EUR")  # the invoice's PDF, which its email carries, needs it
    to = "buchhaltung@weber.example"
    company = {"kind": "company", "legal_name": "Weber GmbH", "country": "DE"}
    customer = world.customer(card=None, email=to, locale="ro", vat_id="DE136695976", **company)
    sub = world.subscribe(customer, world.plan(4900), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    assert invoice["lines"][0]["tax_notes"] == ["vat_id_unchecked"]
    page = get(api.client, emailed_link(session_factory, mailer, mailbox, "invoice_sent", to))
    (mention,) = page.tree.xpath("//ul[@id='mentions']/li")
    assert "VIES" in mention.text_content()
    assert "TVA" in mention.text_content()
