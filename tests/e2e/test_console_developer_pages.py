"""The API keys and audit log pages in a real browser: an owner creates a restricted key,
sees its secret once, revokes it after the confirmation, then finds both in the audit log;
every page on the way has no serious or critical accessibility violation (axe-core) at a
desktop and a phone width. Screenshots are left in the test's temporary folder."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.e2e.test_console_sign_in import check, page, site

__all__ = ["page", "site"]  # the fixtures this module shares with the sign-in tests


def test_an_owner_makes_and_revokes_a_key_and_reads_the_log(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    site: str,
    page: Page,
    tmp_path: Path,
) -> None:
    owner = add_user(session_factory, merchant, "owner")
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(owner.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    page.get_by_role("link", name="API keys").click()
    page.wait_for_url("**/console/api-keys")
    check(page, tmp_path, "api-keys")
    page.get_by_label("Name", exact=True).fill("usage reporter")
    page.get_by_label("Restricted").check()
    page.get_by_label("customers").select_option("read")
    page.get_by_label("usage").select_option("write")
    page.get_by_role("button", name="Create the key").click()
    page.wait_for_url("**/console/api-keys")
    assert page.get_by_role("heading", name="Copy the key now").is_visible()
    assert page.locator("#secret").input_value().startswith("rk_test_")
    check(page, tmp_path, "api-key-created")

    page.get_by_role("link", name="Back to the API keys").click()
    page.get_by_role("link", name="Revoke the key usage reporter").click()
    assert page.get_by_role("heading", name="Revoke the key “usage reporter”?").is_visible()
    check(page, tmp_path, "api-key-revoke")
    page.get_by_role("button", name="Yes, revoke the key").click()
    page.wait_for_url("**/console/api-keys?done=revoked")

    page.get_by_role("link", name="Audit log").click()
    page.wait_for_url("**/console/audit-log")
    page.get_by_label("Data").select_option("test")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/console/audit-log?*")
    assert page.get_by_text("api_key.revoke").is_visible()
    check(page, tmp_path, "audit-log")
