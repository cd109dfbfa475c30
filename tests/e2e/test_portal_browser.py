"""The payment-method page in a real browser, served by uvicorn: the sandbox's plain form,
and Stripe's card element from the fake Stripe.js that localstripe serves, confirmed at
localstripe and posted back as the page's script does; without JavaScript, a note says
why no card can be entered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from tests.conftest import Api, Merchant
from tests.fakes.processor_api import ProcessorApi
from tests.fakes.server_thread import serve_in_thread
from tests.portal.conftest import sign, subscriber
from tests.portal.test_processors import connect_stripe

TIMEOUT_MS = 20_000


@pytest.fixture
def site(settings: Settings, clock: FixedClock, engine: Engine, localstripe: str) -> Iterator[str]:
    """The app on a loopback port, its pages loading Stripe.js from localstripe."""
    js = f"{localstripe}/js.stripe.com/v3/"
    app = create_app(settings.model_copy(update={"stripe_js_url": js}), clock=clock, engine=engine)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_a_sandbox_card_chosen_in_the_browser_pays_the_invoice(
    api: Api, merchant: Merchant, site: str, page: Page
) -> None:
    who = subscriber(api, "ro", card="tok_sandbox_declined")
    token = sign(merchant, "update_payment_method", who)
    response = page.goto(f"{site}/portal/payment-method/{token}")
    assert response is not None
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.locator("#overdue")).to_contain_text("Factura NDT-000001: 59,29")
    page.check("input[value=tok_sandbox_mastercard]")
    page.click("#sandbox-form button")
    expect(page.get_by_role("status").first).to_contain_text("card Mastercard terminat în 4444")
    expect(page.locator("body")).to_contain_text("Factura NDT-000001 (59,29")
    expect(page.locator("body")).to_contain_text("a fost plătită")
    assert who.world.subscription(who.subscription)["status"] == "active"


def test_a_card_typed_into_stripes_element_is_saved_and_pays_the_invoice(
    api: Api, merchant: Merchant, stripe_api: ProcessorApi, site: str, page: Page
) -> None:
    connect_stripe(api)
    who = subscriber(api, "en", card=None)
    (invoice,) = who.world.invoices(who.subscription)
    page.goto(f"{site}/portal/payment-method/{sign(merchant, 'update_payment_method', who)}")
    card = page.locator("#card-element")
    expect(page.locator("#card-needs-js")).to_be_hidden()
    expect(card.locator("input")).to_have_count(5)  # the fake element: number, expiry, cvc, zip
    for placeholder, value in (
        ("number", "4242424242424242"),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "010101"),
    ):
        card.locator(f"input[placeholder={placeholder}]").fill(value)
    page.click("#card-form button")
    expect(page.locator("body")).to_contain_text(
        "Your payment method was saved: Visa card ending in 4242, valid until December 2030."
    )
    expect(page.locator("body")).to_contain_text("Invoice NDT-000001 (RON 59.29) was paid.")
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    (saved,) = api.ok("GET", f"/v1/customers/{who.customer}/payment_methods")["data"]
    assert (saved["gateway"], saved["default"]) == ("stripe", True)


def test_without_javascript_the_card_page_says_what_is_needed(
    api: Api, merchant: Merchant, stripe_api: ProcessorApi, site: str, browser: Browser
) -> None:
    connect_stripe(api)
    who = subscriber(api, "en", card=None)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site}/portal/payment-method/{sign(merchant, 'update_payment_method', who)}")
        expect(page.locator("#card-needs-js")).to_be_visible()
        expect(page.locator("#card-needs-js")).to_contain_text("Entering a card needs JavaScript.")
        expect(page.locator("#card-form")).to_be_hidden()
    finally:
        context.close()
