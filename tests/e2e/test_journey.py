"""A subscriber's whole journey in a real browser, once in Romanian and once in English:
the pricing page, the Pro plan's checkout as a Romanian company paying with a sandbox card,
the success page with the onboarding guide, signing in by the link emailed through a real
SMTP server, the overview with the subscription, its benefits and usage, an invoice from
billing, an upgrade previewed then confirmed, a support request, a cancellation declining
the retention offer, and keeping the subscription after all. Every page is checked with
axe-core at a desktop and a phone width (no violation, no sideways scrolling), and what it
says is checked in the visitor's language. A second test pays the same checkout by bank
transfer and reads the payment instructions on the success page.

Screenshots of every page at both widths are left in /tmp/shots-journey/ for a person to
look at. Each test has a database of its own: the worker run here to send the sign-in email
finds only its rows."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from stdnum.ro import cui, onrc

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.jobs.worker import run_once
from recura.notifications.smtp import Mailer
from tests.conftest import Api
from tests.fakes.server_thread import serve_in_thread
from tests.notifications.mailbox import PUBLIC_URL, Mailbox
from tests.own_database import database_url, engine, session_factory

__all__ = ["database_url", "engine", "session_factory"]  # fixtures: a database per test

TIMEOUT_MS = 30_000
AXE = Axe()
# A fixed folder, outside the repository, for a person to look through after a run.
SHOTS = Path("/tmp/shots-journey")  # noqa: S108
WIDTHS = (1280, 375)
CUI = "RO18547290"
TRADE_REGISTER = "J40/1234/2020"
IBAN = "RO49AAAA1B31007593840000"


@dataclass(frozen=True)
class Words:
    """What the pages say in one language."""

    browser_locale: str
    pricing: str
    pro_price: str  # the price on the pricing page, VAT excluded
    details: str
    pay: str
    due_today: str  # Pro with 21% VAT
    bought: str
    guide: str
    steps: tuple[str, str]
    sent: str
    continue_button: str
    overview: str
    active: str
    usage: str
    upgrade_gain: str
    projects: str
    billing: str
    invoice: str
    vat_id: str
    trade_register: str
    preview: str
    effective_now: str
    changed: str
    help: str
    sent_request: str
    offer: str
    decline: str
    ends: str
    keep: str
    kept: str
    transfer: str
    reference: str
    get_the_invoice: str


RO = Words(
    browser_locale="ro-RO",
    pricing="Planuri și prețuri",
    pro_price="49,00\xa0RON",
    details="Datele dumneavoastră",
    pay="Plata",
    due_today="59,29\xa0RON",
    bought="V-ați abonat la Pro.",
    guide="Primii pași",
    steps=("Importați contactele", "Invitați-vă echipa"),
    sent="vă trimitem un link de autentificare",
    continue_button="Continuă",
    overview="Contul dumneavoastră",
    active="Activ",
    usage="API calls: 3 din 10.000 folosite",
    upgrade_gain="API calls: 50.000 în loc de 10.000",
    projects="Projects: până la 20",
    billing="Facturi și plăți",
    invoice="Factura",
    vat_id=f"Cod fiscal: {CUI}",
    trade_register=f"Nr. Registrul Comerțului: {TRADE_REGISTER}",
    preview="Verificați modificarea",
    effective_now="Modificarea intră în vigoare acum.",
    changed="Gata: abonamentul dumneavoastră este acum pe Business.",
    help="Ajutor",
    sent_request="Solicitarea a fost trimisă.",
    offer="Puneți abonamentul pe pauză 2 luni",
    decline="Nu, mulțumesc, anulează abonamentul",
    ends="Abonamentul Business este anulat și se încheie pe 15 februarie 2026.",
    keep="Păstrez abonamentul",
    kept="Abonamentul Business continuă și se reînnoiește ca înainte.",
    transfer="Cum plătiți prin transfer bancar",
    reference="Referința plății",
    get_the_invoice="Abonați-vă și primiți factura de 59,29\xa0RON",
)
EN = Words(
    browser_locale="en-GB",
    pricing="Plans and prices",
    pro_price="RON\xa049.00",
    details="Your details",
    pay="Payment",
    due_today="RON\xa059.29",
    bought="You are subscribed to Pro.",
    guide="Getting started",
    steps=("Import your contacts", "Invite your team"),
    sent="a sign-in link is on its way",
    continue_button="Continue",
    overview="Your account",
    active="Active",
    usage="API calls: 3 of 10,000 used",
    upgrade_gain="API calls: 50,000 instead of 10,000",
    projects="Projects: up to 20",
    billing="Invoices and payments",
    invoice="Invoice",
    vat_id=f"VAT number: {CUI}",
    trade_register=f"Trade register number: {TRADE_REGISTER}",
    preview="Check your change",
    effective_now="The change takes effect now.",
    changed="Done: your subscription is now on Business.",
    help="Help",
    sent_request="Your request was sent.",
    offer="Pause for 2 months instead",
    decline="No thanks, cancel subscription",
    ends="Your Business subscription is cancelled and ends on February 15, 2026.",
    keep="Keep my subscription",
    kept="Your Business subscription continues and renews as before.",
    transfer="How to pay by bank transfer",
    reference="Payment reference",
    get_the_invoice="Subscribe and get the invoice for RON\xa059.29",
)
LANGUAGES = {"ro": RO, "en": EN}


@pytest.fixture
def site(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[str]:
    app = create_app(settings, clock=clock, engine=engine)
    with serve_in_thread(app) as url:
        yield url


def browse(browser: Browser, words: Words) -> Page:
    context = browser.new_context(
        viewport={"width": WIDTHS[0], "height": 900}, locale=words.browser_locale
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return context.new_page()


class Pages:
    """Checks each page the journey reaches and keeps its screenshots."""

    def __init__(self, page: Page, prefix: str) -> None:
        self.page = page
        self.prefix = prefix
        self.count = 0
        SHOTS.mkdir(parents=True, exist_ok=True)

    def check(self, name: str, title: str) -> None:
        """The page's heading, then at each width: a screenshot, no accessibility
        violation, nothing wider than the screen."""
        page = self.page
        expect(page.locator("h1")).to_have_text(title)
        self.count += 1
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            shot = SHOTS / f"{self.prefix}-{self.count:02d}-{name}-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            results = AXE.run(page)
            serious = [
                v for v in results.response["violations"] if v["impact"] in ("serious", "critical")
            ]
            assert not serious, f"{name} at {width}px:\n{results.generate_report()}"
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{name} is {scroll}px wide on a {width}px screen"
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def catalog(api: Api, slug: str) -> dict[str, str]:
    """A catalog like the demo's: three monthly plans of one product with limits, a
    switch and metered API calls, and a two-step onboarding guide."""
    api.ok(
        "PATCH",
        "/v1/account",
        json={
            "slug": slug,
            "tax_rate": "21",
            "vat_registered": True,
            "terms_url": "https://norditech.example/termeni",
            "retention_offer": {"kind": "pause", "months": 2},
        },
    )
    product = api.ok("POST", "/v1/products", 201, json={"name": "Norditech CRM"})["id"]
    metric = api.ok(
        "POST",
        "/v1/billable_metrics",
        201,
        json={"code": "api_calls", "name": "API calls", "aggregation": "count"},
    )["id"]

    def feature(code: str, name: str, kind: str, **over: Any) -> str:
        body = {"code": code, "name": name, "kind": kind, **over}
        return str(api.ok("POST", "/v1/features", 201, json=body)["id"])

    projects = feature("projects", "Projects", "limit")
    sso = feature("sso", "Single sign-on", "boolean")
    calls = feature("api_calls", "API calls", "metered", billable_metric=metric)

    def plan(code: str, name: str, amount: int, grants: dict[str, Any]) -> str:
        body = {
            "product": product,
            "code": code,
            "name": name,
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": amount}],
            "features": [{"feature": k, "value": v} for k, v in grants.items()],
        }
        return str(api.ok("POST", "/v1/plans", 201, json=body)["id"])

    plans = {
        "starter": plan("starter", "Starter", 2900, {projects: 5, calls: 1000}),
        "pro": plan("pro", "Pro", 4900, {projects: 20, sso: True, calls: 10000}),
        "business": plan("business", "Business", 9900, {projects: None, sso: True, calls: 50000}),
    }
    api.ok("PATCH", "/v1/account", json={"pricing_highlight_plan_id": plans["pro"]})
    steps = [
        (
            "import-contacts",
            (RO.steps[0], "Încărcați un fișier **CSV**."),
            (EN.steps[0], "Upload a **CSV** file."),
        ),
        (
            "invite-team",
            (RO.steps[1], "Fiecare coleg intră în cont cu adresa lui."),
            (EN.steps[1], "Each colleague signs in with their own address."),
        ),
    ]
    for position, (code, ro, en) in enumerate(steps, start=1):
        texts = {"en": {"title": en[0], "body": en[1]}, "ro": {"title": ro[0], "body": ro[1]}}
        api.ok(
            "POST",
            "/v1/onboarding_steps",
            201,
            json={"code": code, "position": position, "texts": texts},
        )
    return plans


def checkout_as_a_company(pages: Pages, words: Words, email: str) -> None:
    """From the pricing page to the payment step, as a Romanian company in Bucharest."""
    page = pages.page
    page.get_by_role("link", name=re.compile("Pro$")).click()
    pages.check("details", words.details)
    assert cui.is_valid(CUI.removeprefix("RO"))
    assert onrc.is_valid(TRADE_REGISTER)
    page.fill("#email", email)
    page.fill("#name", "Ion Ionescu")
    page.check("#kind-company")
    page.fill("#legal_name", "Firma Bună SRL")
    page.fill("#vat_id", CUI)
    page.fill("#registration_number", TRADE_REGISTER)
    page.fill("#line1", "Bd. Unirii 10")
    page.fill("#city", "București")
    page.fill("#postal_code", "030167")
    page.select_option("#county", "RO-B")
    page.select_option("#sector", "3")
    page.click("#details-form button[type=submit]")
    expect(page.locator("#billed-to")).to_contain_text(f"Firma Bună SRL, {CUI}")
    expect(page.locator("#due-today")).to_have_text(words.due_today)


def open_pricing(pages: Pages, site: str, slug: str, words: Words) -> None:
    page = pages.page
    page.goto(f"{site}/p/{slug}/test?currency=RON")
    pages.check("pricing", words.pricing)
    pro = page.locator("section.card", has=page.locator("h3", has_text=re.compile("^Pro$")))
    expect(pro.locator(".price")).to_have_text(words.pro_price)
    expect(pro.locator(".features")).to_contain_text(words.projects)


def emailed_sign_in_link(
    factory: sessionmaker[Session], clock: FixedClock, mailer: Mailer, mailbox: Mailbox, to: str
) -> str:
    """The worker sends the sign-in email through the SMTP server; the link's path."""
    for _ in range(2):  # the outbox's fan-out, then the sending
        run_once(factory, clock, mailer)
    (received,) = mailbox.of("sign_in", to)
    found = re.search(re.escape(PUBLIC_URL) + r"(/portal/[^\s\"<>]+)", received.part("plain"))
    assert found is not None, received.part("plain")
    return found.group(1)


@pytest.mark.slow
@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_a_subscribers_whole_journey(
    locale: str,
    api: Api,
    site: str,
    browser: Browser,
    clock: FixedClock,
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    words = LANGUAGES[locale]
    slug = f"norditech-{uuid.uuid4().hex[:8]}"  # the pricing page is kept per slug a moment
    plans = catalog(api, slug)
    email = f"contabil-{uuid.uuid4().hex[:6]}@firma.ro"
    page = browse(browser, words)
    pages = Pages(page, locale)

    # Pricing, then the Pro plan's checkout, paid with a sandbox card.
    open_pricing(pages, site, slug, words)
    checkout_as_a_company(pages, words, email)
    pages.check("pay", words.pay)
    page.check("input[value=tok_sandbox_mastercard]")
    page.check("#terms")
    page.click("#confirm")

    # The success page, with the onboarding guide.
    expect(page.locator("#bought")).to_have_text(words.bought)
    guide = page.locator("ol.guide h3")
    expect(guide).to_have_text(list(words.steps))
    expect(page.locator("#guide-title")).to_have_text(words.guide)
    pages.check("done", page.locator("h1").inner_text())
    checkout_id = page.url.split("/checkout/")[1].split("/")[0]
    result = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["result"]
    customer, subscription = result["customer"]["id"], result["subscription"]["id"]
    assert result["subscription"]["status"] == "active"
    assert result["customer"]["locale"] == locale

    # Nine days on, the API reports three calls made in the period.
    clock.advance(timedelta(days=9))
    events = [
        {
            "transaction_id": f"call-{n}",
            "customer": customer,
            "code": "api_calls",
            "timestamp": (clock.now() - timedelta(hours=n)).isoformat(),
        }
        for n in range(1, 4)
    ]
    api.ok("POST", "/v1/usage_events", json={"events": events})

    # Signing in by the emailed link.
    page.click("#sign-in-link")
    page.fill("#email", email)
    pages.check("sign-in", page.locator("h1").inner_text())
    page.click("main form button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text(words.sent)
    pages.check("sign-in-sent", page.locator("h1").inner_text())
    link = emailed_sign_in_link(session_factory, clock, mailer, mailbox, email)
    page.goto(site + link)
    pages.check("sign-in-continue", page.locator("h1").inner_text())
    page.get_by_role("button", name=words.continue_button).click()
    page.wait_for_url(f"{site}/portal")

    # The overview: the subscription, its benefits and usage.
    card = page.locator(f"section[aria-labelledby='sub-{subscription}']")
    expect(card.locator("h3")).to_have_text("Pro")
    expect(card.locator(".badge")).to_have_text(words.active)
    benefits = page.locator("main > ul.features")
    expect(benefits).to_contain_text(words.projects)
    expect(benefits).to_contain_text("Single sign-on")
    expect(benefits).to_contain_text(words.usage)
    expect(page.locator("section.upgrades")).to_contain_text(words.upgrade_gain)
    pages.check("overview", words.overview)

    # Billing, then the first invoice.
    page.click("header nav a[href='/portal/billing']")
    pages.check("billing", words.billing)
    first = page.locator("#invoice-list tbody tr").first
    expect(first.locator(".amount")).to_have_text(words.due_today)
    first.locator("a").click()
    expect(page.locator("#buyer")).to_contain_text("Firma Bună SRL")
    expect(page.locator("#buyer")).to_contain_text(words.vat_id)
    expect(page.locator("#buyer")).to_contain_text(words.trade_register)
    expect(page.locator("#totals")).to_contain_text(words.due_today)
    pages.check("invoice", page.locator("h1").inner_text())
    assert page.locator("h1").inner_text().startswith(words.invoice)

    # An upgrade, Pro to Business: previewed, then confirmed.
    page.click("header nav a[href='/portal']")
    page.click(f"#change-{subscription}")
    pages.check("change", page.locator("h1").inner_text())
    page.check(f"input[value={plans['business']}]")
    page.click("#change-form button[type=submit]")
    expect(page.locator("#effective")).to_have_text(words.effective_now)
    pages.check("change-preview", words.preview)
    total = page.locator("#invoice-total").inner_text()
    page.click("#confirm-form button")
    expect(page.locator("#outcome")).to_have_text(words.changed)
    pages.check("change-done", page.locator("h1").inner_text())
    latest = api.ok("GET", "/v1/invoices", params={"subscription": subscription})["data"][0]
    amount = latest["total"]["amount"]
    whole, cents = f"{amount // 100:,}", f"{amount % 100:02d}"
    if locale == "ro":
        assert total == f"{whole.replace(',', '.')},{cents}\xa0RON"
    else:
        assert total == f"RON\xa0{whole}.{cents}"

    # A support request.
    page.click("header nav a[href='/portal/support']")
    pages.check("help", words.help)
    page.select_option("#category", "billing")
    page.fill("#subject", "Factura pentru luna ianuarie")
    page.fill("#message", "Puteți trimite factura și pe adresa contabilului?")
    page.click("#new-request-form button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text(words.sent_request)
    expect(page.locator("ol.thread")).to_contain_text("Puteți trimite factura")
    pages.check("support-thread", page.locator("h1").inner_text())
    (request,) = api.ok("GET", "/v1/support_requests", params={"customer": customer})["data"]
    assert request["subject"] == "Factura pentru luna ianuarie"

    # Cancelling with a reason, declining the offer of a pause.
    page.click("header nav a[href='/portal']")
    page.click(f"#cancel-{subscription}")
    expect(page.locator("#offer")).to_contain_text(words.offer)
    pages.check("cancel", page.locator("h1").inner_text())
    page.check("input[value=too_expensive]")
    page.get_by_role("button", name=words.decline).click()
    expect(page.locator("#outcome")).to_have_text(words.ends)
    pages.check("cancelled", page.locator("h1").inner_text())
    ending = api.ok("GET", f"/v1/subscriptions/{subscription}")
    assert (ending["status"], ending["cancel_at_period_end"]) == ("active", True)

    # Keeping it after all.
    page.get_by_role("button", name=words.keep).click()
    expect(page.locator("#outcome")).to_have_text(words.kept)
    pages.check("kept", page.locator("h1").inner_text())
    page.click("header nav a[href='/portal']")
    expect(card.locator("h3")).to_have_text("Business")
    expect(card.locator(".badge")).to_have_text(words.active)
    expect(page.locator(f"#keep-{subscription}")).to_have_count(0)
    expect(page.locator(f"#cancel-{subscription}")).to_be_visible()
    expect(page.locator("main > ul.features")).to_contain_text(words.usage.replace("10", "50"))
    pages.check("overview-again", words.overview)
    kept = api.ok("GET", f"/v1/subscriptions/{subscription}")
    assert (kept["status"], kept["cancel_at_period_end"]) == ("active", False)
    page.context.close()


@pytest.mark.slow
@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_the_checkout_paid_by_bank_transfer_shows_how_to_pay(
    locale: str, api: Api, site: str, browser: Browser
) -> None:
    words = LANGUAGES[locale]
    slug = f"norditech-{uuid.uuid4().hex[:8]}"
    catalog(api, slug)
    api.ok("PATCH", "/v1/account", json={"iban": IBAN, "bic": "AAAARO22"})
    page = browse(browser, words)
    pages = Pages(page, f"{locale}-transfer")
    open_pricing(pages, site, slug, words)
    checkout_as_a_company(pages, words, f"plati-{uuid.uuid4().hex[:6]}@firma.ro")
    page.click("#way-bank_transfer")
    expect(page.locator("#pay-form input[name=way]")).to_have_value("bank_transfer")
    expect(page.locator("#confirm")).to_have_text(words.get_the_invoice)
    pages.check("pay-transfer", words.pay)
    page.check("#terms")
    page.click("#confirm")

    expect(page.locator("#bought")).to_have_text(words.bought)
    transfer = page.locator("#transfer")
    expect(transfer.locator("h2")).to_have_text(words.transfer)
    expect(transfer).to_contain_text(words.due_today)
    expect(transfer).to_contain_text("RO49 AAAA 1B31 0075 9384 0000")
    expect(transfer).to_contain_text(words.reference)
    pages.check("done-transfer", page.locator("h1").inner_text())
    checkout_id = page.url.split("/checkout/")[1].split("/")[0]
    result = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["result"]
    (invoice,) = api.ok(
        "GET", "/v1/invoices", params={"subscription": result["subscription"]["id"]}
    )["data"]
    assert invoice["status"] == "open"
    reference = transfer.locator("strong").inner_text()
    assert reference.replace(" ", "") == invoice["payment_reference"].replace(" ", "")
    page.context.close()
