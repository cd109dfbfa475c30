"""The Payments, Catalog and Support sections in a real browser. An owner walks every page
of them: filters the payments, opens one and its dispute, uploads a bank statement, matches
an unmatched transfer to an invoice by hand (after the confirmation), answers and closes a
support request, creates a product (after a refused empty form) and adds a plan version.
Each page has no serious or critical accessibility violation (axe-core) at a desktop and a
phone width; screenshots are left in the test's temporary folder for a person to look at."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from recura.console.catalog import KINDS, path_of
from tests.conftest import Api, Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.console.operations_data import (
    catalog,
    dispute,
    paid_payment,
    sent_invoice,
    support_request,
    unmatched_transfer,
)
from tests.e2e.test_console_sign_in import check, page, site  # noqa: F401 (fixtures)
from tests.fakes.camt053 import credit, statement


def test_an_owner_walks_payments_catalog_and_support(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    site: str,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    payment = paid_payment(api)
    dispute_id = dispute(session_factory, merchant, payment)
    invoice = sent_invoice(api)
    transaction = unmatched_transfer(api)
    request_id = support_request(session_factory, merchant, api)
    ids = catalog(api)
    owner = add_user(session_factory, merchant, "owner")
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(owner.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    # Payments: the list, a filter, a payment, the disputes and one of them.
    page.get_by_role("link", name="Payments", exact=True).first.click()
    page.wait_for_url("**/console/payments")
    page.get_by_role("link", name="Show test data").click()
    page.wait_for_url("**/console/payments?mode=test")
    check(page, tmp_path, "payments")
    page.get_by_label("Status").select_option("succeeded")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**status=succeeded**")
    page.locator(f'a[href="/console/payments/{payment["id"]}"]').click()
    expect(page.locator("h1")).to_contain_text("Payment of")
    check(page, tmp_path, "payment")
    page.locator(f'a[href="/console/payments/disputes/{dispute_id}"]').click()
    expect(page.locator("h1")).to_contain_text("Dispute of")
    check(page, tmp_path, "dispute")
    page.goto(site + "/console/payments/disputes?mode=test")
    check(page, tmp_path, "disputes")

    # Bank transactions: upload a statement, then match the unmatched transfer by hand.
    page.goto(site + "/console/payments/bank-transactions?mode=test")
    check(page, tmp_path, "bank-transactions")
    page.get_by_label("Statement file (camt.053 XML)").set_input_files(
        {
            "name": "statement.xml",
            "mimeType": "application/xml",
            "buffer": statement(credit("5.00", "avans", acct_svcr_ref="E2E-1"), statement_id="S2"),
        }
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("Statements imported: 1")
    page.goto(site + f"/console/payments/bank-transactions/{transaction}")
    check(page, tmp_path, "bank-transaction")
    page.get_by_label("Invoice number, reference, customer name or email").fill("ionescu")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name=f"Choose invoice {invoice['number']}").click()
    expect(page.locator("#confirm")).to_contain_text(f"Match to invoice {invoice['number']}?")
    check(page, tmp_path, "bank-confirm")
    page.get_by_role("button", name="Match and mark paid").click()
    expect(page.get_by_role("status")).to_contain_text("Matched: the invoice has its payment")
    check(page, tmp_path, "bank-matched")
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"

    # Support: the inbox, a thread, an answer and closing it.
    page.get_by_role("link", name="Support").first.click()
    page.wait_for_url("**/console/support")
    page.get_by_role("link", name="Show test data").click()
    check(page, tmp_path, "support")
    page.get_by_role("link", name="Plată dublă în februarie").click()
    page.wait_for_url(f"**/console/support/{request_id}")
    check(page, tmp_path, "support-request")
    page.get_by_label("Your answer").fill("Am verificat: a doua plată a fost rambursată.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_role("status")).to_have_text("Answer sent.")
    page.get_by_role("button", name="Close the request").click()
    expect(page.get_by_role("status")).to_have_text("Request closed.")
    check(page, tmp_path, "support-closed")

    # Catalog: the overview, every list and page, a product made and a plan version added.
    page.get_by_role("link", name="Catalog").first.click()
    page.wait_for_url("**/console/catalog")
    page.goto(site + "/console/catalog?mode=test")
    check(page, tmp_path, "catalog")
    for kind in KINDS:
        page.goto(site + path_of(kind.key) + "?mode=test")
        check(page, tmp_path, f"catalog-{kind.key}")
        page.goto(site + f"{path_of(kind.key)}/{ids[kind.key]}")
        check(page, tmp_path, f"catalog-{kind.key}-one")
    page.goto(site + "/console/catalog/products/new?mode=test")
    page.get_by_role("button", name="Create the product").click()
    expect(page.locator("#f-name-error")).to_have_text("Fill this in.")
    check(page, tmp_path, "catalog-product-refused")
    page.get_by_label("Name").fill("Norditech HR")
    page.get_by_role("button", name="Create the product").click()
    expect(page.get_by_role("status")).to_have_text("Created.")
    page.goto(site + "/console/catalog/plans/new?mode=test")
    expect(page.get_by_label("VAT rate")).to_have_value("standard")
    page.get_by_label("VAT rate").select_option("reduced")
    check(page, tmp_path, "catalog-plan-new")
    page.goto(site + f"/console/catalog/plans/{ids['plans']}/version")
    check(page, tmp_path, "catalog-plan-version")
    page.get_by_label("Pricing model").select_option("flat")
    page.get_by_label("Currency").fill("RON")
    page.get_by_label("Amount").fill("59.90")
    page.get_by_role("button", name="Create the version").click()
    expect(page.get_by_role("status")).to_contain_text("New version created")
    check(page, tmp_path, "catalog-plan-versioned")
