"""The console's metric pages in a real browser: reached from the dashboard, their
charts and tables have no serious or critical accessibility violation (axe-core).
Screenshots are left in the test's temporary folder for a person to look at."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.console.test_home import story
from tests.e2e.test_console_sign_in import check, page, site

__all__ = ["page", "site", "story"]


def test_every_metric_page_is_accessible(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    story: dict[str, str],
    site: str,
    page: Page,
    tmp_path: Path,
) -> None:
    analyst = add_user(session_factory, merchant, "analyst", locale="ro")
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(analyst.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")
    page.goto(site + "/console?mode=test")
    for name, charts in (("retention", 2), ("unit-economics", 2), ("funnels", 3)):
        page.locator(f'nav.metric-pages a[href^="/console/metrics/{name}"]').first.click()
        page.wait_for_url(f"**/console/metrics/{name}?*")
        assert page.locator("svg.chart").count() == charts
        check(page, tmp_path, name)
        page.goto(site + "/console?mode=test")
