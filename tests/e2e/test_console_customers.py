"""The Customers section in a real browser: an operator searches the list, opens a
customer with a subscription, invoices and payments, and emails them a portal link; a
support note is written on the customer's page and shown there, in English and Romanian; the
list and the customer's page have no serious or critical accessibility violation
(axe-core) at a desktop and a phone width. Screenshots are left in the test's temporary
folder for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Api, Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.console.test_settings import entries
from tests.e2e.test_console_sign_in import check, page, site  # noqa: F401 (fixtures)
from tests.portal.conftest import subscriber


def test_an_operator_finds_a_customer_and_sends_a_portal_link(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    site: str,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    ana = subscriber(api, "ro")
    # A German company's VAT number not checked in VIES yet: the page says so.
    company = {"kind": "company", "legal_name": "Popescu GmbH", "country": "DE"}
    api.ok("PATCH", f"/v1/customers/{ana.customer}", json={**company, "vat_id": "DE136695976"})
    api.ok("POST", "/v1/customers", 201, json={"name": "Ion Ionescu", "email": "ion@example.ro"})
    operator = add_user(session_factory, merchant, "support")
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(operator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    page.goto(site + "/console/customers?mode=test")
    check(page, tmp_path, "customers")
    page.get_by_label("Search", exact=True).fill("popescu")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/console/customers?**q=popescu**")
    assert "Ion Ionescu" not in page.content()
    page.get_by_role("link", name="Ana Popescu").click()
    page.wait_for_url(f"**/console/customers/{ana.customer}")
    check(page, tmp_path, "customer")
    assert page.locator("#vat-check").inner_text() == "(not checked in VIES yet)"

    page.get_by_role("button", name="Email a portal link").click()
    page.wait_for_url("**done=link_sent")
    assert page.get_by_role("status").inner_text().startswith("A portal sign-in link")
    check(page, tmp_path, "customer-link-sent")


NOTES = {
    "en": ("Support notes", "New note", "Add the note", "The note was added.", "No note yet."),
    "ro": (
        "Note de asistență",
        "Notă nouă",
        "Adăugați nota",
        "Nota a fost adăugată.",
        "Nicio notă încă.",
    ),
}


@pytest.mark.parametrize("language", ["en", "ro"])
def test_a_support_note_is_written_and_shown_on_the_customer_page(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    language: str,
    site: str,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    heading, label, button, added, none = NOTES[language]
    ana = subscriber(api, "ro")
    operator = add_user(session_factory, merchant, "support", locale=language)
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(operator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    page.goto(site + f"/console/customers/{ana.customer}")
    assert page.get_by_role("heading", name=heading).is_visible()
    assert none in page.content()
    page.get_by_label(label).fill("Called: will switch to yearly billing")
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**done=note_added**")
    assert page.get_by_role("status").inner_text() == added
    page.get_by_label(label).fill("Asked for an invoice in RON")
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**done=note_added**")
    notes = page.locator("ol.notes li")
    assert notes.count() == 2
    assert notes.nth(0).inner_text().startswith("Asked for an invoice in RON")
    assert "Support" in notes.nth(0).inner_text()  # the author, by name
    check(page, tmp_path, f"customer-notes-{language}")
    audited = entries(session_factory, merchant, "customer.support_note")
    assert [e.changes for e in audited] == [
        {"note": {"before": None, "after": "Called: will switch to yearly billing"}},
        {"note": {"before": None, "after": "Asked for an invoice in RON"}},
    ]
    assert {(e.actor_id, e.target_id) for e in audited} == {(operator.user_id, ana.customer)}
