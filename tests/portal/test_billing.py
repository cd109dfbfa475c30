"""The signed-in portal's invoices and payments: the history and the invoices page by page,
an invoice as a printable page (another customer's is not found), pay now through the one
charge path, payment methods (add, default, remove unless a subscription is charged to
it), and the emailed links opening the portal's pages for a signed-in visitor."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from recura.portal import billing
from tests.conftest import T0, Api, Merchant
from tests.own_database import database_url, engine, session_factory
from tests.portal.conftest import MINUTE, PRICE, Page, Subscriber, get, post, sign, subscriber
from tests.scenarios.world import World

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]


def sign_in(api: Api, customer: str) -> TestClient:
    """The test client signed in to the portal as `customer` (the merchant's session URL)."""
    url = api.ok("POST", "/v1/portal_sessions", 201, json={"customer": customer})["url"]
    response = api.client.get(url.removeprefix("http://127.0.0.1:8000"), follow_redirects=False)
    assert response.status_code == 303
    return api.client


def rows(page: Page, table: str) -> list[str]:
    return [
        " | ".join(" ".join(cell.text_content().split()) for cell in row.xpath("td"))
        for row in page.tree.xpath(f"//table[@id='{table}']//tr[td]")
    ]


@pytest.fixture
def slug(api: Api) -> str:
    found = f"norditech-{uuid.uuid4().hex[:8]}"
    api.ok("PATCH", "/v1/account", json={"slug": found})
    return found


def test_the_history_lists_invoices_and_payments_in_romanian(api: Api) -> None:
    who = subscriber(api, "ro")
    (invoice,) = who.world.invoices(who.subscription)
    client = sign_in(api, who.customer)
    page = get(client, "/portal/billing")
    assert page.tree.get("lang") == "ro"
    assert page.tree.xpath("//h1")[0].text_content() == "Facturi și plăți"
    (listed,) = rows(page, "invoice-list")
    assert listed.startswith(f"{invoice['number']} | ")
    assert listed.endswith("| 59,29 RON | Plătită")
    (paid,) = rows(page, "payment-list")
    assert f"| {invoice['number']} | card Visa" in paid
    assert paid.endswith("| 59,29 RON | Plătită")
    assert "Plățile se încasează de pe: card Visa terminat în 4242" in page.text
    assert page.tree.xpath("//a[@aria-current='page']/@href") == ["/portal/billing"]


def test_an_invoice_prints_its_parties_vat_per_rate_and_totals_in_english(api: Api) -> None:
    who = subscriber(api, "en")
    api.ok(
        "PATCH",
        f"/v1/customers/{who.customer}",
        json={
            "kind": "company",
            "legal_name": "Norditech Software SRL",
            "vat_id": "RO18547290",
            "registration_number": "J40/12345/2020",
            "country": "RO",
            "address": {
                "line1": "Str. Lipscani 10",
                "city": "București",
                "postal_code": "030031",
                "county": "RO-B",
                "sector": 3,
                "country": "RO",
            },
        },
    )
    (invoice,) = who.world.invoices(who.subscription)
    client = sign_in(api, who.customer)
    page = get(client, f"/portal/invoices/{invoice['id']}")
    assert page.tree.get("lang") == "en"
    assert f"Invoice {invoice['number']}" in page.text
    assert "Test Merchant SRL" in page.tree.get_element_by_id("seller").text_content()
    buyer = " ".join(page.tree.get_element_by_id("buyer").text_content().split())
    for part in (
        "Norditech Software SRL",
        "Str. Lipscani 10",
        "030031 București",
        "Sector 3",
        "Romania",
        "VAT number: RO18547290",
        "Trade register number: J40/12345/2020",
    ):
        assert part in buyer, buyer
    lines = rows(page, "lines")
    assert lines[0].startswith("Pro")  # with its period
    assert lines[0].endswith("| 1 | RON 49.00")
    assert lines[1:] == [
        "VAT 21% on RON 49.00 | RON 10.29",
        "Total | RON 59.29",
        "Paid | RON 59.29",
    ]
    assert page.tree.xpath("//form[@id='pay-form']") == []  # paid: nothing to pay
    css = client.get("/assets/recura.css").text
    assert "@media print" in css


def another(who: Subscriber) -> Subscriber:
    """A second subscriber of the same account, on the same clock."""
    email = f"other-{uuid.uuid4().hex[:8]}@example.ro"
    customer = who.world.customer(email=email, locale="en")
    sub = who.world.subscribe(customer, who.world.plan(PRICE))["id"]
    return Subscriber(who.world, customer, sub, email)


def test_another_customers_invoice_and_drafts_are_not_found(api: Api) -> None:
    mine = subscriber(api, "en")
    theirs = another(mine)
    (their_invoice,) = theirs.world.invoices(theirs.subscription)
    client = sign_in(api, mine.customer)
    assert client.get(f"/portal/invoices/{their_invoice['id']}").status_code == 404
    assert client.get(f"/portal/invoices/{their_invoice['id']}/qr.png").status_code == 404
    assert client.post(f"/portal/invoices/{their_invoice['id']}/pay").status_code == 404
    assert client.get("/portal/invoices/inv_nope").status_code == 404
    assert their_invoice["number"] not in get(client, "/portal/billing").text


def test_without_a_session_the_pages_show_nothing_of_anyone(api: Api, slug: str) -> None:
    for path in ("/portal/billing", "/portal/details", "/portal/payment-methods"):
        response = api.client.get(path, follow_redirects=False)
        assert response.status_code == 404, path  # no cookie: nothing says which account


def declined(api: Api, locale: str) -> Subscriber:
    """A subscriber whose card declined: the first invoice open, in dunning."""
    return subscriber(api, locale, card="tok_sandbox_declined")


def test_pay_now_charges_an_open_invoice_once_through_the_charge_path(api: Api) -> None:
    who = declined(api, "ro")
    (invoice,) = who.world.invoices(who.subscription)
    assert invoice["status"] == "open"
    who.world.card(who.customer, "tok_sandbox_mastercard", default=True)
    client = sign_in(api, who.customer)
    page = get(client, f"/portal/invoices/{invoice['id']}")
    assert "Suma de 59,29 RON va fi încasată de pe card Mastercard" in page.text
    form = page.form("pay-form")
    refused = post(client, f"/portal/invoices/{invoice['id']}/pay", {}, status=403)
    assert "formular" in refused.text.lower()
    done = post(client, f"/portal/invoices/{invoice['id']}/pay", form)
    assert f"Factura {invoice['number']} (59,29 RON) a fost plătită" in done.text
    assert done.tree.xpath("//form[@id='pay-form']") == []
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    # The same form again: nothing left to pay, nothing charged twice.
    again = post(client, f"/portal/invoices/{invoice['id']}/pay", form, status=409)
    assert "nu poate fi plătită acum" in again.text
    payments = api.ok("GET", f"/v1/payments?invoice={invoice['id']}")["data"]
    assert [p["status"] for p in payments].count("succeeded") == 1


def test_the_invoices_come_page_by_page(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    who = subscriber(api, "en")
    who.world.advance_to(T0.replace(month=T0.month + 1) + MINUTE)
    first, second = who.world.invoices(who.subscription)
    monkeypatch.setattr(billing, "INVOICES_SHOWN", 1)
    client = sign_in(api, who.customer)
    page = get(client, "/portal/billing")
    assert [r.split(" | ")[0] for r in rows(page, "invoice-list")] == [second["number"]]
    older = get(client, page.link("older"))
    assert [r.split(" | ")[0] for r in rows(older, "invoice-list")] == [first["number"]]
    assert older.tree.xpath("//*[@id='older']") == []


def test_a_card_is_added_made_default_and_removed_with_the_reason_when_kept(api: Api) -> None:
    who = subscriber(api, "en")
    client = sign_in(api, who.customer)
    page = get(client, "/portal/payment-methods")
    (visa,) = api.ok("GET", f"/v1/customers/{who.customer}/payment_methods")["data"]
    # The only method, charged by an active subscription: kept, saying why.
    assert "your only payment method" in page.tree.get_element_by_id(f"kept-{visa['id']}").text
    form = page.form("sandbox-form")
    added = post(
        client,
        "/portal/payment-methods",
        {**form, "token": "tok_sandbox_mastercard", "make_default": ""},
    )
    assert "Your payment method was saved: Mastercard card ending in 4444" in added.text
    saved = api.ok("GET", f"/v1/customers/{who.customer}/payment_methods")["data"]
    master = next(m for m in saved if m["last4"] == "4444")
    # Still the Visa's to charge: it stays until the Mastercard is made the default.
    hint = added.tree.get_element_by_id(f"kept-{visa['id']}").text
    assert "Choose another one for payments first" in hint
    remove_key = added.form(f"remove-{master['id']}")  # the form's key, for any method
    kept = post(client, f"/portal/payment-methods/{visa['id']}/remove", remove_key, status=409)
    assert "Choose another one for payments first" in kept.text
    wrong_form = added.form(f"default-{master['id']}")
    refused = post(client, f"/portal/payment-methods/{visa['id']}/remove", wrong_form, status=403)
    assert "form" in refused.text.lower()
    made = post(
        client,
        f"/portal/payment-methods/{master['id']}/default",
        added.form(f"default-{master['id']}"),
    )
    assert "Payments are now charged to: Mastercard card ending in 4444" in made.text
    removed = post(
        client, f"/portal/payment-methods/{visa['id']}/remove", made.form(f"remove-{visa['id']}")
    )
    assert "Payment method removed: Visa card ending in 4242" in removed.text
    left = api.ok("GET", f"/v1/customers/{who.customer}/payment_methods")["data"]
    assert [m["id"] for m in left if m["status"] == "active"] == [master["id"]]


def test_another_customers_method_is_not_found(api: Api) -> None:
    mine = subscriber(api, "en")
    theirs = another(mine)
    (their_card,) = api.ok("GET", f"/v1/customers/{theirs.customer}/payment_methods")["data"]
    client = sign_in(api, mine.customer)
    page = get(client, "/portal/payment-methods")
    (my_card,) = api.ok("GET", f"/v1/customers/{mine.customer}/payment_methods")["data"]
    form = page.form("sandbox-form")
    for action in ("default", "remove"):
        response = client.post(f"/portal/payment-methods/{their_card['id']}/{action}", data=form)
        assert response.status_code == 404
    assert my_card["id"] in page.response.text
    assert their_card["id"] not in page.response.text


def test_adding_a_card_pays_the_overdue_invoice(api: Api) -> None:
    who = declined(api, "ro")
    (invoice,) = who.world.invoices(who.subscription)
    client = sign_in(api, who.customer)
    page = get(client, "/portal/payment-methods")
    form = page.form("sandbox-form")
    done = post(
        client,
        "/portal/payment-methods",
        {**form, "token": "tok_sandbox_visa", "make_default": "1"},
    )
    assert f"Factura {invoice['number']} (59,29 RON) a fost plătită" in done.text
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"


def test_emailed_links_open_the_portal_for_their_signed_in_customer(
    api: Api, merchant: Merchant, slug: str
) -> None:
    who = subscriber(api, "en")
    (invoice,) = who.world.invoices(who.subscription)
    invoice_link = f"/portal/invoice/{sign(merchant, 'invoice', who, subscription=invoice['id'])}"
    method_link = f"/portal/payment-method/{sign(merchant, 'update_payment_method', who)}"
    # Without a session: the link's one thing, and a way to the whole account.
    alone = get(api.client, invoice_link)
    assert alone.link("whole-account").endswith(f"/p/{slug}/test/sign-in")
    assert get(api.client, method_link).link("whole-account") == f"/p/{slug}/test/sign-in"
    assert api.client.get("/portal/billing", follow_redirects=False).status_code != 200
    # Another customer's session does not count.
    other = another(who)
    client = sign_in(api, other.customer)
    assert client.get(invoice_link, follow_redirects=False).status_code == 200
    client = sign_in(api, who.customer)
    response = client.get(invoice_link, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/portal/invoices/{invoice['id']}",
    )
    response = client.get(method_link, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/portal/payment-methods",
    )


def test_an_invoice_awaiting_a_transfer_shows_how_to_pay(api: Api) -> None:
    world = World(api, T0, currency="EUR", iban="DE89370400440532013000", bic="COBADEFFXXX")
    customer = world.customer(card=None, email="hans@example.de", locale="en")
    sub = world.subscribe(customer, world.plan(4900), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    client = sign_in(api, customer)
    page = get(client, f"/portal/invoices/{invoice['id']}")
    assert "IBAN | DE89 3704 0044 0532 0130 00" in rows(page, "transfer")
    qr = page.tree.get_element_by_id("epc-qr").get("src")
    assert qr == f"/portal/invoices/{invoice['id']}/qr.png"
    image = client.get(qr)
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")
    assert page.tree.xpath("//form[@id='pay-form']") == []  # no method on file
