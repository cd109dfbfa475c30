"""Bank transactions: a camt.053 statement uploaded from the page, the unmatched transfer it
holds found in the list, an open invoice found by number, customer or amount, the
confirmation, and the match: the invoice paid once, the audit entry naming the operator,
and a second submit refused in words. Roles without `invoices.write` only look."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import AuditEntry, Payment
from tests.conftest import Api, Merchant
from tests.console.conftest import Operator, signed_in
from tests.console.operations_data import sent_invoice, unmatched_transfer
from tests.fakes.camt053 import credit, statement
from tests.portal.conftest import Page

BASE = "/console/payments/bank-transactions"


def shown(browser: TestClient, path: str, expect: int = 200) -> Page:
    response = browser.get(path)
    assert response.status_code == expect, response.text
    return Page(response)


def upload(browser: TestClient, data: bytes, test: bool = True) -> Any:
    form = shown(browser, BASE + ("?mode=test" if test else "")).form("form-upload")
    return browser.post(
        BASE + "/statements",
        data={k: v for k, v in form.items() if k != "statement"},
        files={"statement": ("statement.xml", data, "application/xml")},
        follow_redirects=False,
    )


def entries(factory: sessionmaker[Session], merchant: Merchant, action: str) -> list[AuditEntry]:
    """The merchant's audit entries of `action` (the database holds other tests' too)."""
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.account_id == merchant.account_id, AuditEntry.action == action
                )
            )
        )


def test_a_statement_uploaded_from_the_page_is_imported_and_audited(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    browser, operator = signed_in(client, session_factory, merchant, "finance")
    invoice = sent_invoice(api)
    data = statement(
        credit("60.50", f"Plata {invoice['payment_reference']}", acct_svcr_ref="BANK-1"),
        credit("12.00", "fara referinta", acct_svcr_ref="BANK-2"),
    )
    answer = upload(browser, data)
    assert answer.status_code == 303, answer.text
    listed = shown(browser, answer.headers["location"])
    assert "Statements imported: 1; left out (accounts not registered): 0." in listed.text
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    assert "Matched" in listed.text
    assert "Unmatched" in listed.text
    unmatched = shown(browser, BASE + "?mode=test&status=unmatched")
    assert "fara referinta" in unmatched.text
    assert "Plata" not in unmatched.text
    (entry,) = entries(session_factory, merchant, "bank_statement.import")
    assert (entry.actor_id, entry.target_type, entry.livemode) == (
        operator.user_id,
        "bank_statement",
        False,
    )
    # A file that is not a statement is said so, and imports nothing.
    refused = upload(browser, b"<html/>")
    assert refused.status_code == 422
    assert "This file is not a camt.053 statement." in Page(refused).text
    missing = upload(browser, b"")
    assert missing.status_code == 422
    assert "Choose a statement file to import." in Page(missing).text


def test_an_unmatched_transfer_is_matched_by_hand_once(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    browser, operator = signed_in(client, session_factory, merchant, "finance")
    invoice = sent_invoice(api)
    transaction = unmatched_transfer(api)
    page = shown(browser, f"{BASE}/{transaction}")
    assert "no reference" in page.text
    # Candidates: the open invoices with exactly the transfer's amount still due.
    assert invoice["number"] in page.text
    assert invoice["number"] in shown(browser, f"{BASE}/{transaction}?q=ionescu").text
    assert invoice["number"] in shown(browser, f"{BASE}/{transaction}?q={invoice['number']}").text
    assert invoice["number"] not in shown(browser, f"{BASE}/{transaction}?q=nobody").text
    # Choosing one asks first, saying what will happen.
    (choose,) = page.tree.xpath(f'//a[contains(@href, "invoice={invoice["id"]}")]')
    confirm = shown(browser, str(choose.get("href")))
    assert f"Match to invoice {invoice['number']}?" in confirm.text
    assert "RON 60.50 paid on the invoice" in confirm.text
    form = confirm.form("form-match")
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "open"

    done = browser.post(f"{BASE}/{transaction}/match", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    matched = shown(browser, done.headers["location"])
    assert "Matched: the invoice has its payment" in matched.text
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    (entry,) = entries(session_factory, merchant, "bank_transaction.match")
    assert (entry.actor_id, entry.target_id) == (operator.user_id, transaction)

    # The same form again: refused in words, nothing paid twice, no second entry.
    again = browser.post(f"{BASE}/{transaction}/match", data=form, follow_redirects=False)
    assert again.status_code == 409
    assert "This transaction is already matched: nothing was paid again." in Page(again).text
    with session_factory() as session:
        paid = session.scalars(select(Payment).where(Payment.invoice_id == invoice["id"])).all()
    assert len(paid) == 1
    assert len(entries(session_factory, merchant, "bank_transaction.match")) == 1


def test_an_invoice_that_cannot_take_the_transfer_is_refused_in_words(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    browser, _ = signed_in(client, session_factory, merchant, "owner")
    invoice = sent_invoice(api)
    transaction = unmatched_transfer(api, amount="30.00")
    # Not the same amount: found only when asked for any amount due.
    assert invoice["number"] not in shown(browser, f"{BASE}/{transaction}").text
    anything = shown(browser, f"{BASE}/{transaction}?any_amount=true")
    assert invoice["number"] in anything.text
    confirm = shown(browser, f"{BASE}/{transaction}?invoice={invoice['id']}")
    assert "RON 30.50 still due afterwards" in confirm.text
    api.ok("POST", f"/v1/invoices/{invoice['id']}/void", json={})
    refused = browser.post(
        f"{BASE}/{transaction}/match", data=confirm.form("form-match"), follow_redirects=False
    )
    assert refused.status_code == 422
    assert "That invoice cannot take this transfer." in Page(refused).text
    assert entries(session_factory, merchant, "bank_transaction.match") == []
    # A void invoice is no longer offered for confirmation.
    again = shown(browser, f"{BASE}/{transaction}?invoice={invoice['id']}")
    assert not again.tree.xpath('//form[@id="form-match"]')
    expired = browser.post(
        f"{BASE}/{transaction}/match", data={"invoice": invoice["id"]}, follow_redirects=False
    )
    assert expired.status_code == 403


def test_support_sees_the_transactions_but_matches_nothing(
    owner: tuple[TestClient, Operator],
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    invoice = sent_invoice(api)
    transaction = unmatched_transfer(api)
    browser, _ = signed_in(client, session_factory, merchant, "support")
    page = shown(browser, f"{BASE}/{transaction}?invoice={invoice['id']}")
    assert not page.tree.xpath('//form[@id="form-match"]')
    assert not shown(browser, BASE + "?mode=test").tree.xpath('//form[@id="form-upload"]')
    owner_form = shown(owner[0], f"{BASE}/{transaction}?invoice={invoice['id']}").form("form-match")
    refused = browser.post(f"{BASE}/{transaction}/match", data=owner_form, follow_redirects=False)
    assert refused.status_code == 403
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "open"
