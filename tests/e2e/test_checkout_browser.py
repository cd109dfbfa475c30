"""The hosted checkout in a real browser at a desktop and a phone width, each step checked
with axe-core: a Romanian company subscribing with a sandbox card, and a card typed into
Stripe's element (localstripe's Stripe.js) that asks for 3-D Secure. Screenshots of each
step are left in the test's temporary folder (pytest --basetemp=DIR keeps them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from tests.conftest import T0, Api
from tests.fakes.processor_api import ProcessorApi
from tests.fakes.server_thread import serve_in_thread
from tests.portal.test_processors import connect_stripe
from tests.scenarios.world import World

TIMEOUT_MS = 20_000
AXE = Axe()
SUCCESS_URL = "https://shop.example.ro/welcome?session={CHECKOUT_SESSION_ID}"


@pytest.fixture
def site(settings: Settings, clock: FixedClock, engine: Engine, localstripe: str) -> Iterator[str]:
    """The app on a loopback port, its pages loading Stripe.js from localstripe."""
    js = f"{localstripe}/js.stripe.com/v3/"
    app = create_app(settings.model_copy(update={"stripe_js_url": js}), clock=clock, engine=engine)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(params=[1280, 375], ids=["desktop", "phone"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def checked(page: Page, folder: Path, name: str) -> None:
    """A screenshot of the step, and no accessibility violation of any impact on it."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()
    # Nothing wider than the screen: no horizontal scrolling on a phone.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than the window"


def open_checkout(api: Api, plan: str, **body: object) -> str:
    body = {"plan": plan, "success_url": SUCCESS_URL, **body}
    return str(api.ok("POST", "/v1/checkout_sessions", 201, json=body)["id"])


def test_a_romanian_company_subscribes_with_a_sandbox_card(
    api: Api, site: str, page: Page, tmp_path: Path
) -> None:
    world = World(api, T0, timezone="UTC", tax_rate="21")
    api.ok("PATCH", "/v1/account", json={"terms_url": "https://shop.example.ro/terms"})
    coupon = world.coupon(percent_off="20", duration="once")
    api.ok("POST", "/v1/promotion_codes", 201, json={"coupon": coupon, "code": "PRIMAVARA"})
    checkout_id = open_checkout(api, world.plan(4900), locale="ro", allow_promotion_codes=True)

    page.goto(f"{site}/checkout/{checkout_id}")
    expect(page.locator("h1")).to_have_text("Datele dumneavoastră")
    expect(page.locator("#legal_name")).to_be_hidden()  # a person, until a company is chosen
    checked(page, tmp_path, "details")
    page.fill("#email", "contabil@firma.ro")
    page.fill("#name", "Ion Ionescu")
    page.check("#kind-company")
    expect(page.locator("#legal_name")).to_be_visible()
    page.fill("#legal_name", "Firma Bună SRL")
    page.fill("#vat_id", "18547291")  # a CUI with a wrong check digit
    page.fill("#line1", "Bd. Unirii 10")
    page.fill("#city", "București")
    page.select_option("#county", "RO-B")
    expect(page.locator("#sector")).to_be_visible()
    page.click("#details-form button[type=submit]")
    expect(page.locator("#vat_id-error")).to_have_text(
        "Codul unic de înregistrare (CUI) nu este valid: verificați cifrele."
    )
    expect(page.locator("#sector-error")).to_have_text(
        "Alegeți sectorul din București (de la 1 la 6)."
    )
    checked(page, tmp_path, "details-errors")
    page.fill("#vat_id", "RO18547290")
    page.select_option("#sector", "3")
    page.click("#details-form button[type=submit]")

    expect(page.locator("h1")).to_have_text("Plata")
    expect(page.locator("#due-today")).to_have_text("59,29\xa0RON")
    page.fill("#promotion_code", "primavara")
    page.click("#code-form button")
    expect(page.locator("#code-applied")).to_contain_text("PRIMAVARA")
    expect(page.locator("#due-today")).to_have_text("47,43\xa0RON")
    checked(page, tmp_path, "pay")
    page.check("input[value=tok_sandbox_mastercard]")
    page.check("#terms")
    page.route("https://shop.example.ro/**", lambda route: route.fulfill(body="welcome"))
    page.click("#confirm")
    page.wait_for_url(f"https://shop.example.ro/welcome?session={checkout_id}")
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["result"]["subscription"]["status"] == "active"
    assert session["result"]["customer"]["vat_id"] == "RO18547290"

    page.goto(f"{site}/checkout/{checkout_id}/done")
    expect(page.locator("#bought")).to_contain_text("V-ați abonat la Pro.")
    checked(page, tmp_path, "done")


def test_a_romanian_person_gives_a_cnp_checked_in_both_languages(
    api: Api, site: str, page: Page, tmp_path: Path
) -> None:
    world = World(api, T0, timezone="UTC", tax_rate="21")
    checkout_id = open_checkout(api, world.plan(4900), locale="ro")
    page.goto(f"{site}/checkout/{checkout_id}")
    cnp = page.locator("#national_id")
    expect(cnp).to_be_visible()  # a person in Romania, the account's country
    page.check("#kind-company")
    expect(cnp).to_be_hidden()  # a company is named by its CUI
    page.check("#kind-individual")
    page.select_option("#country", "DE")
    expect(cnp).to_be_hidden()  # a CNP is Romanian
    page.select_option("#country", "RO")
    expect(cnp).to_be_visible()
    page.fill("#email", "ana.popescu@example.ro")
    page.fill("#name", "Ana Popescu")
    page.fill("#line1", "Str. Memorandumului 28")
    page.fill("#city", "Cluj-Napoca")
    page.select_option("#county", "RO-CJ")
    page.fill("#national_id", "1800101221145")  # a wrong check digit
    page.click("#details-form button[type=submit]")
    expect(page.locator("#national_id-error")).to_have_text(
        "Codul numeric personal (CNP) nu este valid: verificați cele 13 cifre."
    )
    expect(cnp).to_have_attribute("aria-invalid", "true")
    checked(page, tmp_path, "cnp-error-ro")
    page.goto(f"{site}/checkout/{checkout_id}?lang=en")
    page.fill("#email", "ana.popescu@example.ro")
    page.fill("#line1", "Str. Memorandumului 28")
    page.fill("#city", "Cluj-Napoca")
    page.select_option("#county", "RO-CJ")
    page.fill("#national_id", "180010122114")  # a digit short
    page.click("#details-form button[type=submit]")
    expect(page.locator("#national_id-error")).to_have_text(
        "This is not a valid personal numeric code (CNP): check its 13 digits."
    )
    checked(page, tmp_path, "cnp-error-en")
    page.fill("#national_id", "1800101221144")
    page.click("#details-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Payment")
    page.check("input[value=tok_sandbox_mastercard]")
    page.check("#terms")
    page.route("https://shop.example.ro/**", lambda route: route.fulfill(body="welcome"))
    page.click("#confirm")
    page.wait_for_url(f"https://shop.example.ro/welcome?session={checkout_id}")
    customer = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["result"]["customer"]
    assert (customer["kind"], customer["national_id"]) == ("individual", "1800101221144")


def test_a_card_needing_3d_secure_is_saved_through_stripes_element(
    api: Api, stripe_api: ProcessorApi, site: str, page: Page, tmp_path: Path
) -> None:
    connect_stripe(api)
    world = World(api, T0, timezone="UTC", tax_rate="21")
    # A trial that needs a card: the card is set up now (3-D Secure with the subscriber
    # there) and charged when the trial ends.
    done = f"{site}/checkout/{{CHECKOUT_SESSION_ID}}/done"  # http is accepted on 127.0.0.1
    checkout_id = open_checkout(api, world.plan(4900, trial_days=14), locale="en", success_url=done)
    page.goto(f"{site}/checkout/{checkout_id}")
    page.fill("#email", "ana@example.de")
    page.fill("#name", "Ana Popescu")
    page.select_option("#country", "DE")
    expect(page.locator("#county")).to_be_hidden()
    page.fill("#line1", "Unter den Linden 1")
    page.fill("#city", "Berlin")
    page.click("#details-form button[type=submit]")

    expect(page.locator("h1")).to_have_text("Payment")
    card = page.locator("#card-element")
    expect(page.locator("#card-needs-js")).to_be_hidden()
    expect(card.locator("input")).to_have_count(5)
    checked(page, tmp_path, "stripe-pay")
    for placeholder, value in (
        ("number", "4000002500003155"),  # asks for 3-D Secure when set up
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "10117"),
    ):
        card.locator(f"input[placeholder={placeholder}]").fill(value)
    page.check("#terms")
    page.click("#confirm")
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(f"{site}/checkout/{checkout_id}/done")
    expect(page.locator("#bought")).to_contain_text("You are subscribed to Pro.")

    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "complete"
    assert session["result"]["subscription"]["status"] == "trialing"
    customer = session["result"]["customer"]["id"]
    (saved,) = api.ok("GET", f"/v1/customers/{customer}/payment_methods")["data"]
    assert (saved["gateway"], saved["last4"], saved["default"]) == ("stripe", "3155", True)


def stripe_checkout(api: Api, site: str, page: Page, card_number: str) -> str:
    """A checkout paid now with a card typed into Stripe's element, its details filled in
    and confirmed; returns its id."""
    connect_stripe(api)
    world = World(api, T0, timezone="UTC", tax_rate="21")
    done = f"{site}/checkout/{{CHECKOUT_SESSION_ID}}/done"  # http is accepted on 127.0.0.1
    checkout_id = open_checkout(api, world.plan(4900), locale="en", success_url=done)
    page.goto(f"{site}/checkout/{checkout_id}")
    page.fill("#email", "ana@example.de")
    page.fill("#name", "Ana Popescu")
    page.select_option("#country", "DE")
    page.fill("#line1", "Unter den Linden 1")
    page.fill("#city", "Berlin")
    page.click("#details-form button[type=submit]")
    card = page.locator("#card-element")
    expect(card.locator("input")).to_have_count(5)
    for placeholder, value in (
        ("number", card_number),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "10117"),
    ):
        card.locator(f"input[placeholder={placeholder}]").fill(value)
    page.check("#terms")
    page.click("#confirm")
    return checkout_id


def test_a_first_charge_asking_for_3d_secure_completes_after_the_challenge(
    api: Api, stripe_api: ProcessorApi, site: str, page: Page, tmp_path: Path
) -> None:
    # This card asks for 3-D Secure when it is saved and again on every charge.
    checkout_id = stripe_checkout(api, site, page, "4000002760003184")
    page.get_by_role("button", name="Complete authentication").click()  # saving it

    # The charge waits for the bank: the page starts the challenge at once.
    page.wait_for_url(f"{site}/checkout/{checkout_id}/pay")
    expect(page.locator("#notice")).to_have_text("Your bank asks you to confirm this payment.")
    expect(page.locator("#card-action-needs-js")).to_be_hidden()
    expect(page.locator("#card-action")).to_be_visible()
    challenge = page.get_by_role("button", name="Complete authentication")
    expect(challenge).to_be_visible()
    page.screenshot(path=str(tmp_path / "3ds-challenge.png"), full_page=True)
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "open"
    challenge.click()

    page.wait_for_url(f"{site}/checkout/{checkout_id}/done")
    expect(page.locator("#bought")).to_contain_text("You are subscribed to Pro.")
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "complete"
    assert session["result"]["subscription"]["status"] == "active"
    (payment,) = api.ok("GET", "/v1/payments", params={"customer": session["customer"]})["data"]
    assert payment["status"] == "succeeded"


def test_a_failed_3d_secure_challenge_leaves_the_way_to_another_card(
    api: Api, stripe_api: ProcessorApi, site: str, page: Page, tmp_path: Path
) -> None:
    checkout_id = stripe_checkout(api, site, page, "4000000000003220")
    page.get_by_role("button", name="Complete authentication").click()  # saving it
    page.wait_for_url(f"{site}/checkout/{checkout_id}/pay")
    page.get_by_role("button", name="Fail authentication").click()

    page.wait_for_url(f"{site}/checkout/{checkout_id}/pay?authenticated=1")
    expect(page.locator("#notice")).to_have_text(
        "Your payment was declined. Try another payment method."
    )
    expect(page.locator("#card-action")).to_have_count(0)
    checked(page, tmp_path, "3ds-declined")
    page.click("#other-method")
    card = page.locator("#card-element")
    expect(card.locator("input")).to_have_count(5)
    for placeholder, value in (
        ("number", "4242424242424242"),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "10117"),
    ):
        card.locator(f"input[placeholder={placeholder}]").fill(value)
    page.check("#terms")
    page.click("#confirm")
    page.wait_for_url(f"{site}/checkout/{checkout_id}/done")
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["result"]["subscription"]["status"] == "active"
    subs = api.ok("GET", "/v1/subscriptions", params={"customer": session["customer"]})["data"]
    assert len(subs) == 1
