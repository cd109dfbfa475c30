"""The Payments, Catalog and Support sections in a real browser. An owner walks every page
of them: filters the payments, opens one and its dispute, uploads a bank statement, matches
an unmatched transfer to an invoice by hand (after the confirmation), answers and closes a
support request, creates a product (after a refused empty form) and adds a plan version;
in English and Romanian, makes a billable metric (after refused forms, the service's
refusal said in the operator's language) and renames it, and makes an add-on selling other
services.
Each page has no serious or critical accessibility violation (axe-core) at a desktop and a
phone width; screenshots are left in the test's temporary folder for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
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
from tests.console.test_settings import entries
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


# The metric and add-on forms' words, in the operator's language.
CATALOG_SAID = {
    "en": {
        "new_metric": "New billable metric",
        "code": "Code",
        "name": "Name",
        "aggregation": "Aggregation",
        "field": "Field",
        "create_metric": "Create the metric",
        "missing": "Fill this in.",
        "created": "Created.",
        "edit": "Edit",
        "save": "Save",
        "updated": "Saved.",
        "new_add_on": "New add-on",
        "pricing": "Pricing model",
        "currency": "Currency",
        "amount": "Amount",
        "create_add_on": "Create the add-on",
        "sold_as": "Sold as",
        "field_needed": "Name the event property this aggregation reads"
        " (Largest value of a field).",
    },
    "ro": {
        "new_metric": "Măsurătoare facturabilă nouă",
        "code": "Cod",
        "name": "Nume",
        "aggregation": "Agregare",
        "field": "Câmp",
        "create_metric": "Creați măsurătoarea",
        "missing": "Completați acest câmp.",
        "created": "Creat.",
        "edit": "Modifică",
        "save": "Salvați",
        "updated": "Salvat.",
        "new_add_on": "Supliment nou",
        "pricing": "Model de preț",
        "currency": "Monedă",
        "amount": "Sumă",
        "create_add_on": "Creați suplimentul",
        "sold_as": "Ce se vinde",
        "field_needed": "Scrieți proprietatea evenimentului pe care o citește această agregare"
        " (Cea mai mare valoare a unui câmp).",
    },
}


@pytest.mark.parametrize("language", ["en", "ro"])
def test_an_owner_makes_a_billable_metric_and_an_add_on(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    language: str,
    site: str,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    said = CATALOG_SAID[language]
    owner = add_user(session_factory, merchant, "owner", locale=language)
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(owner.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    page.goto(site + "/console/catalog/billable-metrics?mode=test")
    page.get_by_role("link", name=said["new_metric"]).click()
    page.wait_for_url("**/billable-metrics/new?mode=test")
    page.get_by_label(said["code"], exact=False).first.fill("storage_gb")
    page.get_by_label(said["aggregation"]).select_option("max")
    page.get_by_role("button", name=said["create_metric"]).click()
    expect(page.locator("#f-name-error")).to_have_text(said["missing"])
    page.locator("#f-name").fill("Storage (GB)")
    page.get_by_role("button", name=said["create_metric"]).click()
    # The service's refusal (a maximum of what?) beside the field it names, in the
    # operator's language; nothing made, nothing audited.
    expect(page.locator("#f-field_name-error")).to_have_text(said["field_needed"])
    check(page, tmp_path, f"catalog-metric-refused-{language}")
    assert entries(session_factory, merchant, "billable_metric.create") == []
    page.locator("#f-field_name").fill("gb")
    page.get_by_role("button", name=said["create_metric"]).click()
    expect(page.get_by_role("status")).to_have_text(said["created"])
    metric_id = page.url.split("/")[-1].split("?")[0]
    page.get_by_role("link", name=said["edit"], exact=True).click()
    check(page, tmp_path, f"catalog-metric-edit-{language}")
    page.locator("#f-name").fill("Peak storage (GB)")
    page.get_by_role("button", name=said["save"], exact=True).click()
    expect(page.get_by_role("status")).to_have_text(said["updated"])
    assert api.ok("GET", f"/v1/billable_metrics/{metric_id}")["name"] == "Peak storage (GB)"

    page.goto(site + "/console/catalog/add-ons?mode=test")
    page.get_by_role("link", name=said["new_add_on"]).click()
    page.locator("#f-code").fill("seats")
    page.locator("#f-name").fill("Extra seat")
    page.get_by_label(said["pricing"]).select_option("per_unit")
    page.locator("#f-currency").fill("RON")
    page.locator("#f-amount").fill("15.50")
    expect(page.get_by_label(said["sold_as"])).to_have_value("electronic")
    page.get_by_label(said["sold_as"]).select_option("services")
    check(page, tmp_path, f"catalog-add-on-new-{language}")
    page.get_by_role("button", name=said["create_add_on"]).click()
    expect(page.get_by_role("status")).to_have_text(said["created"])
    check(page, tmp_path, f"catalog-add-on-{language}")
    add_on_id = page.url.split("/")[-1].split("?")[0]
    made = api.ok("GET", f"/v1/add_ons/{add_on_id}")
    assert (made["prices"][0]["unit_amount"], made["supply_nature"]) == ("1550", "services")

    audited = {
        action: [(e.actor_id, e.target_id) for e in entries(session_factory, merchant, action)]
        for action in ("billable_metric.create", "billable_metric.update", "add_on.create")
    }
    assert audited == {
        "billable_metric.create": [(owner.user_id, metric_id)],
        "billable_metric.update": [(owner.user_id, metric_id)],
        "add_on.create": [(owner.user_id, add_on_id)],
    }


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "This file is not a camt.053 statement. (Reason: "),
        ("ro", "Acest fișier nu este un extras camt.053. (Motivul: "),
    ],
)
def test_a_file_that_is_no_statement_is_refused_in_the_operators_language(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    language: str,
    said: str,
    site: str,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    finance = add_user(session_factory, merchant, "finance", locale=language)
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(finance.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")
    page.goto(site + "/console/payments/bank-transactions?mode=test")
    page.locator("#statement").set_input_files(
        {"name": "notes.xml", "mimeType": "application/xml", "buffer": b"<notes>hello</notes>"}
    )
    page.locator("#form-upload button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text(said)
    check(page, tmp_path, f"bank-statement-refused-{language}")
    assert entries(session_factory, merchant, "bank_statement.import") == []
