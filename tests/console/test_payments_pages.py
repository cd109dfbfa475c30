"""The Payments section: the list with its filters (status, processor, customer, days) and
pages, a payment's page with its invoice, attempts, refunds and disputes, and the disputes'
list and page; another account's payment is the 404 page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.console import operations
from tests.conftest import Api, Merchant, make_merchant
from tests.console.conftest import Operator, add_user, sign_in, signed_in
from tests.console.conftest import browser as own_browser
from tests.console.operations_data import dispute, paid_payment, sent_invoice
from tests.portal.conftest import Page


def page(browser: TestClient, path: str, expect: int = 200, **params: str) -> Page:
    # No params at all keeps a link's own query (httpx replaces it with any given).
    response = browser.get(path, params=params) if params else browser.get(path)
    assert response.status_code == expect, response.text
    return Page(response)


def payment_ids(found: Page) -> list[str]:
    return [str(a.get("href")).rsplit("/", 1)[1] for a in found.tree.xpath("//tbody//td[1]/a")]


def test_the_list_filters_by_status_processor_customer_and_days(
    owner: tuple[TestClient, Operator], api: Api
) -> None:
    browser, _ = owner
    payment = paid_payment(api)
    sent_invoice(api)  # a customer with an open invoice and no payment
    listed = page(browser, "/console/payments", mode="test")
    assert payment_ids(listed) == [payment["id"]]
    assert "Ana Popescu" in listed.text
    assert payment_ids(page(browser, "/console/payments", mode="test", status="succeeded")) == [
        payment["id"]
    ]
    assert payment_ids(page(browser, "/console/payments", mode="test", status="failed")) == []
    assert payment_ids(page(browser, "/console/payments", mode="test", processor="stripe")) == []
    assert payment_ids(page(browser, "/console/payments", mode="test", processor="sandbox")) == [
        payment["id"]
    ]
    by_customer = page(browser, "/console/payments", mode="test", customer=payment["customer"])
    assert payment_ids(by_customer) == [payment["id"]]
    assert payment_ids(page(browser, "/console/payments", mode="test", customer="cus_other")) == []
    made = payment["created_at"][:10]
    same_day = page(browser, "/console/payments", mode="test", since=made, until=made)
    assert payment_ids(same_day) == [payment["id"]]
    assert payment_ids(page(browser, "/console/payments", mode="test", since="2099-01-01")) == []
    odd = page(browser, "/console/payments", mode="test", since="yesterday")
    assert "A day was not understood" in odd.text
    assert payment_ids(odd) == [payment["id"]]
    # Live data is apart.
    assert payment_ids(page(browser, "/console/payments")) == []


def test_pages_follow_one_another(
    owner: tuple[TestClient, Operator], api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser, _ = owner
    first, second = paid_payment(api), paid_payment(api)
    monkeypatch.setattr(operations, "PER_PAGE", 1)
    one = page(browser, "/console/payments", mode="test")
    assert payment_ids(one) == [second["id"]]
    (more,) = one.tree.xpath('//a[@rel="next"]')
    two = page(browser, str(more.get("href")))
    assert payment_ids(two) == [first["id"]]
    assert not two.tree.xpath('//a[@rel="next"]')


def test_a_payment_shows_its_invoice_attempts_refunds_and_disputes(
    owner: tuple[TestClient, Operator],
    api: Api,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
) -> None:
    browser, _ = owner
    payment = paid_payment(api)
    api.ok("POST", "/v1/refunds", 201, json={"payment": payment["id"], "amount": 1000})
    dispute_id = dispute(session_factory, merchant, payment)
    shown = page(browser, f"/console/payments/{payment['id']}")
    invoice = api.ok("GET", f"/v1/invoices/{payment['invoice']}")
    assert invoice["number"] in shown.text
    assert "this one" in shown.text
    assert "RON 10.00" in shown.text  # the refund
    (link,) = shown.tree.xpath(f'//a[@href="/console/payments/disputes/{dispute_id}"]')
    assert "Needs a response" in link.text_content()

    disputes = page(browser, "/console/payments/disputes", mode="test")
    assert dispute_id in disputes.text
    assert "fraudulent" in disputes.text
    path = "/console/payments/disputes"
    assert dispute_id in page(browser, path, mode="test", status="needs_response").text
    assert dispute_id not in page(browser, path, mode="test", status="won").text
    one = page(browser, f"/console/payments/disputes/{dispute_id}")
    assert (
        "submit the evidence, or accept it, in Sandbox's dashboard before Mar 8, 2026" in one.text
    )
    assert "Respond by: Mar 8, 2026" in disputes.text
    assert "Ana Popescu" in one.text


def test_another_accounts_payment_is_not_found(
    client: TestClient, session_factory: sessionmaker[Session], api: Api
) -> None:
    payment = paid_payment(api)
    other = make_merchant(session_factory, client, "Other")
    browser, _ = signed_in(client, session_factory, other, "analyst")
    assert page(browser, f"/console/payments/{payment['id']}", 404)
    assert page(browser, "/console/payments/disputes/dp_unknown", 404)


def test_romanian_words(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant, api: Api
) -> None:
    payment = paid_payment(api)
    operator = add_user(session_factory, merchant, "finance", locale="ro")
    browser = own_browser(client)
    sign_in(browser, operator.email)
    listed = page(browser, "/console/payments", mode="test")
    assert "Plăți" in listed.text
    assert "Tranzacții bancare" in listed.text
    assert "Transfer bancar" in listed.text  # the processor filter's choice
    assert "Rambursări" in page(browser, f"/console/payments/{payment['id']}").text
