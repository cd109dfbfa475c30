"""The PDF from the portal's invoice pages (the signed-in one and the emailed link's) and
from the console: a link once it is made, the same bytes as the API's."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Api, Merchant
from tests.console.conftest import signed_in
from tests.domains.documents.pdfs import download, make, seller
from tests.portal.conftest import get, sign
from tests.portal.test_billing import sign_in


def test_the_portal_links_the_pdf_once_it_is_made(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = seller(api)
    customer = world.customer(card=None, locale="ro", email="ana@example.ro")
    sub = world.subscribe(customer, world.plan(4900), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    client = sign_in(api, customer)
    path = f"/portal/invoices/{invoice['id']}"
    page = get(client, path)
    assert "PDF-ul facturii se pregătește" in page.text
    assert page.tree.xpath("//p[@id='pdf']//a") == []
    assert client.get(f"{path}/pdf").status_code == 404
    make(session_factory)
    page = get(client, path)
    (link,) = page.tree.xpath("//p[@id='pdf']//a")
    assert link.get("href") == f"{path}/pdf"
    assert link.text_content() == "Descarcă factura în format PDF"
    response = client.get(f"{path}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    assert response.content == download(api, f"/v1/invoices/{invoice['id']}/pdf")
    # Another customer's invoice is not found.
    other = world.customer(card=None, email="ion@example.ro")
    assert sign_in(api, other).get(f"{path}/pdf").status_code == 404


def test_the_console_serves_the_pdf_to_those_who_read_invoices(
    api: Api, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    world = seller(api)
    customer = world.customer(card=None, locale="en")
    sub = world.subscribe(customer, world.plan(4900), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    note = api.ok("POST", "/v1/credit_notes", 201, json={"invoice": invoice["id"]})
    browser, _ = signed_in(api.client, session_factory, merchant, "analyst")
    path = f"/console/invoices/{invoice['id']}/pdf?mode=test"
    waiting = browser.get(path)
    assert waiting.status_code == 409
    assert "The PDF is not made yet" in waiting.text
    make(session_factory)
    response = browser.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == download(api, f"/v1/invoices/{invoice['id']}/pdf")
    credit = browser.get(f"/console/credit_notes/{note['id']}/pdf?mode=test")
    assert credit.content == download(api, f"/v1/credit_notes/{note['id']}/pdf")
    # Live data has no such invoice.
    assert browser.get(f"/console/invoices/{invoice['id']}/pdf").status_code == 404


def test_the_emailed_invoice_link_offers_the_pdf(
    api: Api, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    world = seller(api)
    customer = world.customer(card=None, locale="en")
    sub = world.subscribe(customer, world.plan(4900), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    make(session_factory)
    who = SimpleNamespace(customer=customer, subscription=None)
    token = sign(merchant, "invoice", who, subscription=invoice["id"])  # type: ignore[arg-type]
    page = get(api.client, f"/portal/invoice/{token}")
    (link,) = page.tree.xpath("//p[@id='pdf']//a")
    assert link.get("href") == f"/portal/invoice/{token}/pdf"
    assert link.text_content() == "Download the invoice as PDF"
    response = api.client.get(f"/portal/invoice/{token}/pdf")
    assert response.status_code == 200
    assert response.content == download(api, f"/v1/invoices/{invoice['id']}/pdf")
    assert api.client.get("/portal/invoice/not-a-token/pdf").status_code != 200
