"""The Catalog's actions in a real browser: an owner prices a plan in graduated tiers (after
a refused row), reads the tiers on the plan's page, archives the plan after its confirmation
and gives an add-on two features. Each page has no serious or critical accessibility
violation (axe-core) at a desktop and a phone width, and each action leaves its audit entry;
screenshots are left in the test's temporary folder for a person to look at."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Api, Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.console.operations_data import catalog
from tests.console.test_settings import entries
from tests.e2e.test_console_sign_in import check, page, site  # noqa: F401 (fixtures)


def test_an_owner_prices_in_tiers_archives_and_grants_features(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    site: str,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    ids = catalog(api)
    sso = api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )["id"]
    owner = add_user(session_factory, merchant, "owner")
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(owner.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    # A plan in graduated tiers; a row out of order is refused beside its cell.
    page.goto(site + "/console/catalog/plans/new?mode=test")
    page.get_by_label("Product").select_option(ids["products"])
    page.locator("#f-code").fill("api-calls")
    page.locator("#f-name").fill("API calls")
    page.get_by_label("Billing interval").select_option("month")
    page.get_by_label("Pricing model").select_option("tiered_graduated")
    page.locator("#f-currency").fill("RON")
    rows = [("1000", "0", ""), ("500", "0.05", ""), ("", "0.005", "")]
    for number, (up_to, unit, flat) in enumerate(rows):
        page.locator(f"#f-tier_{number}_up_to").fill(up_to)
        page.locator(f"#f-tier_{number}_unit_amount").fill(unit)
        page.locator(f"#f-tier_{number}_flat_amount").fill(flat)
    check(page, tmp_path, "catalog-plan-tiers")
    page.get_by_role("button", name="Create the plan").click()
    expect(page.locator("#f-tier_1_up_to-error")).to_have_text(
        "Must be more than the previous tier's limit."
    )
    expect(page.locator("#f-tier_1_up_to")).to_have_attribute("aria-invalid", "true")
    check(page, tmp_path, "catalog-plan-tiers-refused")
    made = entries(session_factory, merchant, "plan.create")  # the API's, of `catalog`
    assert owner.user_id not in [e.actor_id for e in made]
    page.locator("#f-tier_1_up_to").fill("100000")
    page.locator("#f-tier_1_flat_amount").fill("20")
    page.get_by_role("button", name="Create the plan").click()
    expect(page.get_by_role("status")).to_have_text("Created.")
    expect(page.locator("ol.tiers li")).to_have_text(
        [
            "Up to 1000 units: RON 0.00 per unit",
            "Over 1000 up to 100000 units: RON 0.05 per unit, plus RON 20.00",
            "Over 100000 units: RON 0.005 per unit",
        ]
    )
    check(page, tmp_path, "catalog-plan-tiered")
    plan_id = page.url.split("/")[-1].split("?")[0]

    # Archived after the confirmation, which says what archiving does.
    page.get_by_role("link", name="Archive", exact=True).click()
    page.wait_for_url(f"**/console/catalog/plans/{plan_id}/archive")
    expect(page.locator("#confirm")).to_contain_text("Subscriptions on it keep it")
    check(page, tmp_path, "catalog-plan-archive")
    page.get_by_role("button", name="Yes, archive it").click()
    expect(page.get_by_role("status")).to_contain_text("Archived: new customers no longer get it")
    expect(page.get_by_role("link", name="Archive", exact=True)).to_have_count(0)
    check(page, tmp_path, "catalog-plan-archived")
    assert api.ok("GET", f"/v1/plans/{plan_id}")["archived"] is True

    # An add-on's features: a limit and an on-or-off one.
    page.goto(site + f"/console/catalog/add-ons/{ids['add_ons']}")
    page.get_by_role("link", name="Change the features").click()
    page.wait_for_url(f"**/add-ons/{ids['add_ons']}/features")
    page.get_by_label("Projects (projects").check()
    page.get_by_label("Limit for Projects").fill("lots")
    page.get_by_label("SSO (sso").check()
    page.get_by_role("button", name="Save the features").click()
    expect(page.locator(f"#f-value_{ids['features']}-error")).to_have_text("Enter a whole number.")
    check(page, tmp_path, "catalog-add-on-features-refused")
    page.get_by_label("Limit for Projects").fill("25")
    page.get_by_role("button", name="Save the features").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.locator("dl.facts")).to_contain_text("projects: 25; sso: yes")
    check(page, tmp_path, "catalog-add-on-features")
    granted = api.ok("GET", f"/v1/add_ons/{ids['add_ons']}")["features"]
    assert {(g["feature"], g["value"]) for g in granted} == {(ids["features"], 25), (sso, True)}

    audited = {
        action: [
            (e.actor_id, e.target_id)
            for e in entries(session_factory, merchant, action)
            if e.actor_id == owner.user_id
        ]
        for action in ("plan.create", "plan.archive", "add_on.features_change")
    }
    assert audited == {
        "plan.create": [(owner.user_id, plan_id)],
        "plan.archive": [(owner.user_id, plan_id)],
        "add_on.features_change": [(owner.user_id, ids["add_ons"])],
    }
