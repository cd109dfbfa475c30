"""Every page a subscriber reaches from an email, checked with axe-core in a real browser at
a desktop and a phone width: no accessibility violation of any impact. A screenshot of each
is left in the test's temporary folder (pytest --basetemp=DIR keeps them) for a person to
look at."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.notifications import links
from tests.conftest import SECRET, T0, Api, Merchant
from tests.fakes.server_thread import serve_in_thread
from tests.portal.conftest import sign, subscriber
from tests.scenarios.world import World

TIMEOUT_MS = 20_000
AXE = Axe()


@pytest.fixture
def site(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[str]:
    app = create_app(settings, clock=clock, engine=engine)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(params=[1280, 375], ids=["desktop", "phone"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def card_to_update(api: Api, merchant: Merchant, locale: str) -> str:
    who = subscriber(api, locale, card="tok_sandbox_declined")
    return f"/portal/payment-method/{sign(merchant, 'update_payment_method', who)}"


def subscription_to_keep(api: Api, merchant: Merchant, locale: str) -> str:
    who = subscriber(api, locale)
    who.world.act(who.subscription, "cancel", at_period_end=True)
    return f"/portal/reactivate/{sign(merchant, 'reactivate', who)}"


def paid_invoice(api: Api, merchant: Merchant, locale: str) -> str:
    who = subscriber(api, locale)
    (invoice,) = who.world.invoices(who.subscription)
    return f"/portal/invoice/{sign(merchant, 'invoice', who, subscription=invoice['id'])}"


def invoice_awaiting_a_transfer(api: Api, merchant: Merchant, locale: str) -> str:
    world = World(api, T0, currency="EUR", iban="DE89370400440532013000", bic="COBADEFFXXX")
    customer = world.customer(card=None, email=f"{locale}@example.de", locale=locale)
    sub = world.subscribe(customer, world.plan(4900), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    token = links_token(merchant, "invoice", customer, invoice["id"])
    return f"/portal/invoice/{token}"


def invoice_to_an_unconfirmed_eu_company(api: Api, merchant: Merchant, locale: str) -> str:
    """VAT charged to a German company whose VAT number VIES has not confirmed: the
    invoice's mentions say why."""
    world = World(api, T0, currency="EUR", iban="DE89370400440532013000", bic="COBADEFFXXX")
    company = {"kind": "company", "legal_name": "Weber GmbH", "country": "DE"}
    customer = world.customer(
        card=None, email=f"{locale}@weber.example", locale=locale, vat_id="DE136695976", **company
    )
    sub = world.subscribe(customer, world.plan(4900), collection_method="send_invoice")
    (invoice,) = world.invoices(sub["id"])
    token = links_token(merchant, "invoice", customer, invoice["id"])
    return f"/portal/invoice/{token}"


def unsubscribe(api: Api, merchant: Merchant, locale: str) -> str:
    who = subscriber(api, locale)
    return f"/email/unsubscribe/{sign(merchant, 'unsubscribe', who)}"


def links_token(merchant: Merchant, purpose: links.Purpose, customer: str, object_id: str) -> str:
    return links.sign(SECRET.encode(), purpose, merchant.account_id, False, customer, object_id, T0)


PAGES: dict[str, Callable[[Api, Merchant, str], str]] = {
    "payment_method": card_to_update,
    "reactivate": subscription_to_keep,
    "invoice_paid": paid_invoice,
    "invoice_awaiting_transfer": invoice_awaiting_a_transfer,
    "invoice_vat_unconfirmed": invoice_to_an_unconfirmed_eu_company,
    "unsubscribe": unsubscribe,
}


@pytest.mark.parametrize("locale", ["ro", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_has_no_accessibility_violations(
    name: str, locale: str, api: Api, merchant: Merchant, site: str, page: Page, tmp_path: Path
) -> None:
    path = PAGES[name](api, merchant, locale)
    response = page.goto(site + path)
    assert response is not None
    assert response.status == 200, name
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(tmp_path / f"{name}-{locale}-{width}.png"), full_page=True)
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


def _signed_in(api: Api, customer: str) -> str:
    """The merchant's session URL (path): opening it in the browser signs in."""
    url = api.ok("POST", "/v1/portal_sessions", 201, json={"customer": customer})["url"]
    return str(url).removeprefix("http://127.0.0.1:8000")


def _billed_company(api: Api, customer: str) -> None:
    address = {
        "line1": "Str. Lipscani 10",
        "city": "București",
        "postal_code": "030031",
        "county": "RO-B",
        "sector": 3,
        "country": "RO",
    }
    company = {"kind": "company", "legal_name": "Norditech Software SRL", "address": address}
    api.ok("PATCH", f"/v1/customers/{customer}", json={**company, "vat_id": "RO18547290"})


def billing_overview(api: Api, merchant: Merchant, locale: str) -> tuple[str, str]:
    who = subscriber(api, locale)
    return _signed_in(api, who.customer), "/portal/billing"


def billing_invoice(api: Api, merchant: Merchant, locale: str) -> tuple[str, str]:
    who = subscriber(api, locale, card="tok_sandbox_declined")
    who.world.card(who.customer, "tok_sandbox_mastercard", default=True)
    _billed_company(api, who.customer)
    (invoice,) = who.world.invoices(who.subscription)
    return _signed_in(api, who.customer), f"/portal/invoices/{invoice['id']}"


def billing_methods(api: Api, merchant: Merchant, locale: str) -> tuple[str, str]:
    who = subscriber(api, locale)
    who.world.card(who.customer, "tok_sandbox_mastercard")
    return _signed_in(api, who.customer), "/portal/payment-methods"


def billing_details(api: Api, merchant: Merchant, locale: str) -> tuple[str, str]:
    who = subscriber(api, locale)
    _billed_company(api, who.customer)
    return _signed_in(api, who.customer), "/portal/details"


SIGNED_IN: dict[str, Callable[[Api, Merchant, str], tuple[str, str]]] = {
    "billing": billing_overview,
    "billing_invoice": billing_invoice,
    "payment_methods": billing_methods,
    "details": billing_details,
}


@pytest.mark.parametrize("locale", ["ro", "en"])
@pytest.mark.parametrize("name", list(SIGNED_IN))
def test_the_signed_in_page_has_no_accessibility_violations(
    name: str, locale: str, api: Api, merchant: Merchant, site: str, page: Page, tmp_path: Path
) -> None:
    entry, path = SIGNED_IN[name](api, merchant, locale)
    page.goto(site + entry)  # signs in, then shows the overview
    response = page.goto(site + path)
    assert response is not None
    assert response.status == 200, name
    width = page.viewport_size["width"] if page.viewport_size else 0
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"{name}-{locale}-{width}.png"), full_page=True)
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("ro", "Codul numeric personal (CNP) nu este valid: verificați cele 13 cifre."),
        ("en", "This is not a valid personal numeric code (CNP): check its 13 digits."),
    ],
)
def test_a_person_in_romania_saves_a_cnp_on_the_details_page(
    locale: str, message: str, api: Api, site: str, page: Page, tmp_path: Path
) -> None:
    who = subscriber(api, locale)
    address = {"line1": "Str. Memorandumului 28", "city": "Cluj-Napoca", "county": "RO-CJ"}
    api.ok("PATCH", f"/v1/customers/{who.customer}", json={"address": address | {"country": "RO"}})
    page.goto(site + _signed_in(api, who.customer))
    page.goto(site + "/portal/details")
    cnp = page.locator("#f-national_id")
    expect(cnp).to_be_visible()
    page.check("input[name=kind][value=company]")
    expect(cnp).to_be_hidden()  # a company is named by its CUI
    page.check("input[name=kind][value=individual]")
    cnp.fill("2991231400014")  # 31 December 1999, a wrong check digit
    page.click("#details-form button[type=submit]")
    expect(page.locator("#national_id-error")).to_have_text(message)
    expect(cnp).to_have_attribute("aria-invalid", "true")
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"details-cnp-{locale}-{width}.png"), full_page=True)
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()
    cnp.fill("1800101221144")
    page.click("#details-form button[type=submit]")
    expect(page.locator("#done")).to_be_visible()
    assert api.ok("GET", f"/v1/customers/{who.customer}")["national_id"] == "1800101221144"
