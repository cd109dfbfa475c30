"""Acting for customers in a real browser: an owner walks the Subscriptions and Invoices
sections and the customers at risk, and does one action of each kind through its
confirmation page (change of plan and add-ons with its preview, coupon, pause, resume,
cancel, refund, credit note, paid by hand, portal link, support note). Every page passes
axe-core with no serious or critical violation at a desktop and a phone width; screenshots
are left in the test's temporary folder (and in RECURA_SCREENSHOTS when set) for a person
to look at."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import AuditEntry
from recura.db.unit_of_work import unit_of_work
from tests.conftest import T0, Api, Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.e2e.test_console_sign_in import check, page, site  # noqa: F401 (fixtures)
from tests.portal.conftest import PRICE
from tests.scenarios.world import World


def confirm(tab: Page, tmp_path: Path, name: str, done: str) -> None:
    """The page saying what will happen: checked, then confirmed."""
    tab.wait_for_selector("#confirm-form")
    check(tab, tmp_path, f"{name}-confirm")
    tab.locator("#confirm-form button[type=submit]").click()
    tab.wait_for_url(f"**done={done}")
    assert tab.locator("#done").is_visible()


def test_an_owner_acts_for_customers(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    site: str,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = World(api, T0)
    basic = world.plan(PRICE, name="Basic")
    pro = world.plan(PRICE * 2, name="Pro")
    coupon = world.coupon(name="Stay with us", percent_off=30, duration="once")
    storage = world.add_on(1000, "Extra storage")
    ana = world.customer(name="Ana Popescu", email="ana@example.ro")
    ion = world.customer(card="tok_sandbox_declined", name="Ion Ionescu", email="ion@example.ro")
    sub = world.subscribe(ana, basic)["id"]
    world.subscribe(ion, basic)
    world.advance_to(T0 + timedelta(minutes=1))
    (paid,) = api.ok("GET", "/v1/invoices", params={"customer": ana})["data"]
    (unpaid,) = api.ok("GET", "/v1/invoices", params={"customer": ion})["data"]

    owner = add_user(session_factory, merchant, "owner")
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(owner.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    # Subscriptions: the list, a subscription, and its actions.
    page.goto(site + "/console/subscriptions?mode=test")
    check(page, tmp_path, "subscriptions")
    page.get_by_role("link", name="Ana Popescu").click()
    page.wait_for_url(f"**/console/subscriptions/{sub}")
    check(page, tmp_path, "subscription")
    page.locator("#change-plan").select_option(pro)
    page.locator(f"#change-add_on_{storage}").fill("2")
    page.locator("#change-effective").select_option("now")
    page.locator("#form-change button[type=submit]").click()
    page.wait_for_selector("#invoice-total")
    confirm(page, tmp_path, "change", "change")
    page.locator("#coupon-coupon").select_option(coupon)
    page.locator("#form-coupon button[type=submit]").click()
    confirm(page, tmp_path, "coupon", "coupon")
    page.locator("#form-pause button[type=submit]").click()
    confirm(page, tmp_path, "pause", "pause")
    page.locator("#form-resume button[type=submit]").click()
    confirm(page, tmp_path, "resume", "resume")
    page.locator("#cancel-reason").select_option("too_expensive")
    page.locator("#form-cancel button[type=submit]").click()
    confirm(page, tmp_path, "cancel", "cancel")
    check(page, tmp_path, "subscription-after")
    assert api.ok("GET", f"/v1/subscriptions/{sub}")["cancel_at_period_end"] is True

    # Invoices: the list with its aging, a paid invoice refunded in part and credited.
    page.goto(site + "/console/invoices?mode=test")
    check(page, tmp_path, "invoices")
    page.goto(site + f"/console/invoices/{paid['id']}")
    check(page, tmp_path, "invoice")
    page.locator("#refund-amount").fill("10")
    page.locator("#form-refund button[type=submit]").click()
    confirm(page, tmp_path, "refund", "refund")
    page.locator("#credit-amount").fill("5")
    page.locator("#credit-memo").fill("Two days down")
    page.locator("#form-credit_note button[type=submit]").click()
    confirm(page, tmp_path, "credit-note", "credit_note")
    page.goto(site + f"/console/invoices/{unpaid['id']}")
    page.locator("#form-paid button[type=submit]").click()
    confirm(page, tmp_path, "paid", "paid")

    # Customers at risk: Ana cancels at period end; a portal link and a support note.
    page.goto(site + "/console/customers/at-risk?mode=test")
    check(page, tmp_path, "at-risk")
    page.locator(f"#link-{ana} button").click()
    page.wait_for_url("**done=link_sent")
    page.locator(f"#note-text-{ana}").fill("Called her: moving to a cheaper plan")
    page.locator(f"#note-{ana} button").click()
    page.wait_for_url("**done=note_added")
    check(page, tmp_path, "at-risk-noted")

    with unit_of_work(session_factory) as session:
        actions = set(
            session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.account_id == merchant.account_id,
                    AuditEntry.actor_id == owner.user_id,
                )
            )
        )
    assert {
        "subscription.change",
        "subscription.coupon_apply",
        "subscription.pause",
        "subscription.resume",
        "subscription.cancel",
        "refund.create",
        "credit_note.create",
        "invoice.pay",
        "portal_session.create",
        "customer.support_note",
    } <= actions
    kept = os.environ.get("RECURA_SCREENSHOTS")
    if kept:
        for shot in tmp_path.glob("*.png"):
            shutil.copy(shot, kept)
