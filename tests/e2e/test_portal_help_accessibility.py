"""The signed-in subscriber's overview (with its announcements, getting started, partner
perks and higher plans) and the help pages (the list and form, the form with its errors, a
conversation), checked with axe-core in a real browser at a desktop and a phone width: no
accessibility violation, and no page wider than the screen. Screenshots are left in the
test's temporary folder (pytest --basetemp=DIR keeps them) for a person to look at."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from tests.conftest import Api
from tests.fakes.server_thread import serve_in_thread
from tests.portal.test_overview_sections import furnished

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


def overview(page: Page, site: str, api: Api) -> None:
    pass  # the page signed in lands on the overview


def help_page(page: Page, site: str, api: Api) -> None:
    page.goto(f"{site}/portal/support")


def help_with_errors(page: Page, site: str, api: Api) -> None:
    page.goto(f"{site}/portal/support")
    page.fill("#subject", " ")
    page.click("#new-request-form button[type=submit]")
    page.wait_for_selector(".field-error")


def conversation(page: Page, site: str, api: Api) -> None:
    page.goto(f"{site}/portal/support")
    page.select_option("#category", "billing")
    page.fill("#subject", "A double charge in February, seen on the bank statement")
    page.fill("#message", "I was charged twice this month.\nCould you check?")
    page.select_option("#about", index=1)
    page.click("#new-request-form button[type=submit]")
    page.wait_for_selector("ol.thread")
    request_id = page.url.split("/portal/support/")[1].split("?")[0]
    api.ok("POST", f"/v1/support_requests/{request_id}/reply", json={"body": "Checking now."})
    page.goto(f"{site}/portal/support/{request_id}")


def help_with_a_request(page: Page, site: str, api: Api) -> None:
    conversation(page, site, api)
    page.goto(f"{site}/portal/support")


PAGES: dict[str, Callable[[Page, str, Api], None]] = {
    "overview": overview,
    "help": help_page,
    "help_list": help_with_a_request,
    "help_errors": help_with_errors,
    "conversation": conversation,
}


@pytest.mark.parametrize("locale", ["ro", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_has_no_accessibility_violations(
    name: str, locale: str, api: Api, clock: FixedClock, site: str, page: Page, tmp_path: Path
) -> None:
    found = furnished(api, locale, clock)
    url = api.ok("POST", "/v1/portal_sessions", 201, json={"customer": found.customer})["url"]
    response = page.goto(site + url.removeprefix("http://127.0.0.1:8000"))
    assert response is not None
    assert response.status == 200
    assert page.url == f"{site}/portal"
    PAGES[name](page, site, api)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(tmp_path / f"{name}-{locale}-{width}.png"), full_page=True)
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()
    scrolls = page.evaluate("document.documentElement.scrollWidth")
    assert scrolls <= width, f"{name} is {scrolls}px wide on a {width}px screen"
