"""Every console page on the demo's data, in a real browser: the owner signs in with a
password and a TOTP code, then follows every link the console shows, one page of each kind
(one customer, one invoice, …), in English and in Romanian. No page fails, and none has a
serious or critical accessibility violation (axe-core). Roles that lack a section's
permission get its refusal page, in their language. Screenshots of every page are left in
the test's temporary folder for a person to look at. The pages' HTML does not depend on
the database: the walk on PostgreSQL checks that every page answers, and leaves the
screenshots and axe-core to the walk on SQLite, whose pages are the same."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.unit_of_work import unit_of_work
from recura.demo import OWNER_EMAIL, load_demo
from recura.domains.users import repository as users_repository
from recura.domains.users import service as users
from tests.conftest import SECRET, Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.e2e.test_console_sign_in import AXE_ON_EVERY_PAGE, TIMEOUT_MS, check, site
from tests.own_database import database_url, engine, session_factory

__all__ = ["database_url", "engine", "session_factory", "site"]

# Ids in a path stand for their kind: one page of each kind is enough.
ID = re.compile(r"/[a-z]+_[0-9A-Za-z]{10,}")
# Links that leave the page for a download, or end the session.
SKIPPED = re.compile(r"/(sign-out|sign-in)|\.(csv|pdf|xml)$|/pdf$|/download")
MOST_PAGES = 80


def kind_of(link: str) -> str:
    """A link's kind: its path with ids as `{id}`, and the names of its query's fields
    (`?mode=test` shows other rows than the page without it)."""
    parts = urlsplit(link)
    names = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return ID.sub("/{id}", parts.path) + (f"?{'&'.join(names)}" if names else "")


@pytest.fixture
def demo(session_factory: sessionmaker[Session], clock: FixedClock) -> dict[str, str]:
    """The demo (a small one), its owner enrolled in two-step sign-in; the owner's password
    and TOTP secret."""
    with unit_of_work(session_factory) as session:
        loaded = load_demo(session, SECRET.encode(), clock.now(), customers=20)
        owner = users_repository.by_email(session, loaded.account_id, OWNER_EMAIL)
        assert owner is not None
        secret = users.begin_totp(session, SECRET.encode(), owner)
        earlier = pyotp.TOTP(secret).at(clock.now() - timedelta(seconds=30))
        users.confirm_totp(session, SECRET.encode(), owner, earlier, clock.now())
    return {"account": loaded.account_id, "password": loaded.owner_password, "secret": secret}


@contextmanager
def browsing(browser: Browser, locale: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(AXE_ON_EVERY_PAGE)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, site: str, demo: dict[str, str], at: datetime) -> None:
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(OWNER_EMAIL)
    page.locator("#password").fill(demo["password"])
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console/sign-in/code")
    page.locator("input[autocomplete=one-time-code]").fill(pyotp.TOTP(demo["secret"]).at(at))
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")


def console_links(page: Page, site: str) -> list[str]:
    found = []
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != site or not parts.path.startswith("/console"):
            continue
        if SKIPPED.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def walk(page: Page, site: str, tmp_path: Path, checked: bool) -> list[str]:
    """Every console page a link leads to, one of each kind; the kinds, in visiting order.
    `checked`: each page's screenshot taken and axe-core run on it."""
    seen: set[str] = set()
    # The demo's data is test data: the pages in test mode show it.
    queue = ["/console", "/console?mode=test"]
    visited = []
    while queue and len(visited) < MOST_PAGES:
        path = queue.pop(0)
        kind = kind_of(path)
        if kind in seen:
            continue
        seen.add(kind)
        response = page.goto(site + path)
        assert response is not None
        assert response.status < 400, (path, response.status)
        name = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-") or "home"
        if checked:
            check(page, tmp_path, name)
        visited.append(kind)
        queue.extend(console_links(page, site))
    return visited


# The demo is loaded once per database, and walked in each language.
def test_the_owner_walks_every_console_page(
    demo: dict[str, str],
    site: str,
    browser: Browser,
    clock: FixedClock,
    tmp_path: Path,
    database_url: str,
) -> None:
    checked = not database_url.startswith("postgresql")
    # A code is spent once: the second sign-in takes the next step's (a step of drift).
    for step, locale in enumerate(("en-GB", "ro-RO")):
        with browsing(browser, locale) as page:
            sign_in(page, site, demo, clock.now() + step * timedelta(seconds=30))
            visited = walk(page, site, tmp_path / locale, checked)
            assert page.locator("html").get_attribute("lang") == locale[:2]
        # Every section the navigation shows was reached, and pages of single things.
        sections = {"/console", "/console/customers", "/console/team", "/console/audit-log"}
        assert sections <= set(visited), visited
        assert any("{id}" in kind for kind in visited), visited


REFUSED = [("support", "/console/settings"), ("analyst", "/console/api-keys")]


@pytest.mark.parametrize(("role", "refused"), REFUSED)
def test_a_role_without_the_permission_gets_the_refusal_page(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    site: str,
    browser: Browser,
    tmp_path: Path,
    role: str,
    refused: str,
) -> None:
    operator = add_user(session_factory, merchant, role, locale=None)
    for locale in ("en-GB", "ro-RO"):
        with browsing(browser, locale) as page:
            page.goto(site + "/console/sign-in")
            page.locator("#email").fill(operator.email)
            page.locator("#password").fill(PASSWORD)
            page.locator("form button[type=submit]").click()
            page.wait_for_url("**/console")
            response = page.goto(site + refused)
            assert response is not None
            assert response.status == 403
            check(page, tmp_path, f"refused-{role}-{locale}")
            # In the operator's language: their browser's, as they chose none.
            assert page.locator("html").get_attribute("lang") == locale[:2]
