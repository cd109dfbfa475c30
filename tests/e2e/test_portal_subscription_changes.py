"""Changing, pausing and cancelling from the portal's overview in a real browser, at a
desktop and a phone width: cancelling takes at most two clicks from the overview to the
confirmation, with a retention offer or without, and every page passes axe-core with no
violation. Screenshots go to the test's temporary folder (pytest --basetemp=DIR keeps
them) for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from tests.conftest import T0, Api
from tests.fakes.server_thread import serve_in_thread
from tests.portal.conftest import Subscriber, subscriber
from tests.portal.test_change import money

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


def sign_in(api: Api, who: Subscriber, site: str, page: Page) -> None:
    url = api.ok("POST", "/v1/portal_sessions", 201, json={"customer": who.customer})["url"]
    page.goto(site + url.removeprefix("http://127.0.0.1:8000"))
    expect(page).to_have_url(f"{site}/portal")


def checked(page: Page, name: str, folder: Path) -> None:
    """No accessibility violation, nothing wider than the screen; a screenshot to look at."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name} scrolls sideways at {width} px"


@pytest.mark.parametrize("with_offer", [False, True], ids=["no_offer", "offer"])
def test_cancelling_takes_at_most_two_clicks_from_the_overview(
    api: Api, site: str, page: Page, tmp_path: Path, with_offer: bool
) -> None:
    who = subscriber(api, "ro")
    if with_offer:
        coupon = who.world.coupon(percent_off=50, duration="once", name="Jumătate de preț")
        offer = {"kind": "coupon", "coupon_id": coupon}
        api.ok("PATCH", "/v1/account", json={"retention_offer": offer})
    sign_in(api, who, site, page)
    checked(page, "overview", tmp_path)
    clicks = 0
    page.click(f"#cancel-{who.subscription}")
    clicks += 1
    expect(page.locator("#cancel-form")).to_be_visible()
    if with_offer:
        expect(page.locator("#offer")).to_contain_text("29,65")
    checked(page, f"cancel-{'offer' if with_offer else 'plain'}", tmp_path)
    page.check("input[value=too_expensive]")
    page.click("#confirm-cancel")
    clicks += 1
    expect(page.locator("#outcome")).to_contain_text("se încheie pe 15 februarie 2026")
    assert clicks <= 2
    checked(page, "cancelled", tmp_path)
    assert who.world.subscription(who.subscription)["cancel_at_period_end"] is True
    page.click("#keep-form button")
    expect(page.locator("#outcome")).to_contain_text("continuă")
    checked(page, "kept", tmp_path)


def test_a_change_is_previewed_then_confirmed(
    api: Api, site: str, page: Page, tmp_path: Path
) -> None:
    who = subscriber(api, "en")
    business = who.world.plan(9900, name="Business")
    who.world.add_on(1500, name="Extra storage")
    who.world.advance_to(T0 + timedelta(days=9))
    sign_in(api, who, site, page)
    page.click(f"#change-{who.subscription}")
    checked(page, "change", tmp_path)
    page.check(f"input[value={business}]")
    page.click("#change-form button[type=submit]")
    expect(page.locator("#effective")).to_have_text("The change takes effect now.")
    checked(page, "change-preview", tmp_path)
    total = page.locator("#invoice-total").inner_text()
    page.click("#confirm-form button")
    expect(page.locator("#outcome")).to_contain_text("Business")
    checked(page, "change-done", tmp_path)
    (last,) = who.world.invoices(who.subscription)[-1:]
    assert total.replace("\xa0", " ") == f"RON {last['total']['amount'] / 100:.2f}"


def test_switching_to_yearly_billing(api: Api, site: str, page: Page, tmp_path: Path) -> None:
    who = subscriber(api, "ro")
    monthly = who.world.subscription(who.subscription)["plan"]
    code = api.ok("GET", f"/v1/plans/{monthly}")["code"]
    yearly = who.world.plan(49000, interval="year", code=f"{code}-yearly", name="Pro anual")
    who.world.advance_to(T0 + timedelta(days=12))
    sign_in(api, who, site, page)
    page.click(f"#change-{who.subscription}")
    expect(page.locator(f"#saving-{yearly}")).to_have_text("economisiți 16% cu plata anuală")
    checked(page, "change-interval", tmp_path)
    page.check(f"input[value={yearly}]")
    page.click("#change-form button[type=submit]")
    expect(page.locator("#effective")).to_have_text("Modificarea intră în vigoare acum.")
    expect(page.locator("#proration-hint")).to_contain_text("o nouă perioadă de facturare")
    checked(page, "change-interval-preview", tmp_path)
    total = page.locator("#invoice-total").inner_text()
    page.click("#confirm-form button")
    expect(page.locator("#outcome")).to_contain_text("Pro anual")
    (last,) = who.world.invoices(who.subscription)[-1:]
    assert " ".join(total.split()) == money(last["total"]["amount"], "ro")
    assert who.world.subscription(who.subscription)["interval_unit"] == "year"


def test_pausing_from_the_card(api: Api, site: str, page: Page, tmp_path: Path) -> None:
    who = subscriber(api, "ro")
    api.ok("PATCH", "/v1/account", json={"portal_pause_enabled": True})
    sign_in(api, who, site, page)
    page.click(f"#pause-{who.subscription}")
    checked(page, "pause", tmp_path)
    page.check("input[name=months][value='2']")
    page.click("#pause-form button")
    expect(page.locator("#outcome")).to_contain_text("pe pauză")
    checked(page, "paused", tmp_path)
