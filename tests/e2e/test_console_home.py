"""The console's dashboard in a real browser, at a desktop and a phone width: its figures,
charts and tables have no serious or critical accessibility violation (axe-core), and the
movement links lead to the customers behind them. Screenshots are left in the test's
temporary folder for a person to look at."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.console.test_home import story
from tests.e2e.test_console_sign_in import check, page, site

__all__ = ["page", "site", "story"]


def test_the_dashboard_and_its_movements_are_accessible(
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
    assert page.locator('[data-figure="mrr"]').inner_text().replace("\xa0", " ") == "2.000,00 RON"
    assert page.locator("svg.chart").count() == 2
    check(page, tmp_path, "home")
    page.locator('tr[data-month="2026-01"] td[data-type="new"] a').click()
    page.wait_for_url("**/console/metrics/movements?*")
    assert page.locator("tr[data-customer]").count() == 2
    check(page, tmp_path, "movements")
