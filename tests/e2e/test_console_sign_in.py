"""The console in a real browser: an owner with two-step sign-in signs in with their
password and a code from pyotp, and the sign-in, code, Team and My account pages have no
serious or critical accessibility violation (axe-core) at a desktop and a phone width. A
screenshot of each is left in the test's temporary folder for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.db.unit_of_work import unit_of_work
from recura.domains.users import service as users
from tests.conftest import SECRET, T0, Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.fakes.server_thread import serve_in_thread

TIMEOUT_MS = 20_000
AXE = Axe()
# For a context that walks many pages: axe-core loaded into each page of the top frame as
# it opens (`BrowserContext.add_init_script`), instead of sent again, half a megabyte,
# with each check. Frames keep going without it, as with `AXE.run`.
AXE_ON_EVERY_PAGE = f"if (window === window.top) {{ {AXE.axe_script}\n}}"
# An Axe whose script to inject is nothing: the page has axe-core already.
_LOADED = Axe(axe_script="undefined")


@pytest.fixture
def site(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[str]:
    app = create_app(settings, clock=clock, engine=engine)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(params=[1280, 375], ids=["desktop", "phone"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": request.param, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def check(page: Page, tmp_path: Path, name: str) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    # JPEG: to look at, as good as PNG, and encoded in about half the browser's time.
    shot = tmp_path / f"console-{name}-{width}.jpg"
    page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=90)
    loaded = page.evaluate("typeof window.axe !== 'undefined'")
    results = (_LOADED if loaded else AXE).run(page)
    grave = [
        v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
    ]
    assert not grave, results.generate_report()


def test_an_owner_signs_in_with_a_code_and_the_pages_are_accessible(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    site: str,
    page: Page,
    tmp_path: Path,
) -> None:
    owner = add_user(session_factory, merchant, "owner", locale=None)
    for role in ("admin", "support", "analyst"):
        add_user(session_factory, merchant, role)
    with unit_of_work(session_factory) as session:
        user = users.get(session, merchant.account_id, owner.user_id)
        assert user is not None
        secret = users.begin_totp(session, SECRET.encode(), user)
        # Enrolled with the previous step's code: the current one is still unspent.
        earlier = pyotp.TOTP(secret).at(T0 - timedelta(seconds=30))
        users.confirm_totp(session, SECRET.encode(), user, earlier, T0)

    response = page.goto(site + "/console")
    assert response is not None
    assert page.url.endswith("/console/sign-in")
    check(page, tmp_path, "sign-in")
    page.get_by_label("Email address").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/sign-in/code")
    check(page, tmp_path, "code")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).at(T0))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/console")
    assert "Test Merchant SRL" in page.content()

    page.get_by_role("link", name="Team").click()
    page.wait_for_url("**/console/team")
    assert page.get_by_role("heading", name="Team").is_visible()
    check(page, tmp_path, "team")

    page.get_by_role("link", name="My account").click()
    page.wait_for_url("**/console/account")
    check(page, tmp_path, "account")


def test_enrolling_shows_an_accessible_qr_code(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    site: str,
    page: Page,
    tmp_path: Path,
) -> None:
    operator = add_user(session_factory, merchant, "finance", locale="ro")
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(operator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")
    page.goto(site + "/console/account")
    page.locator("#form-totp-start button").click()
    qr = page.locator("img.qr")
    expect(qr).to_be_visible()
    check(page, tmp_path, "enrolment")
