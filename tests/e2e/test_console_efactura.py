"""The e-Factura pages in a real browser: an owner connects to ANAF (the local fake's
authorize page sends the browser back), then finds a rejected invoice among the at-risk
e-invoices and corrects it; each page has no serious or critical accessibility violation
(axe-core) at a desktop and a phone width. Screenshots are left in the test's temporary
folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings, anaf_bases
from recura.db.models import EInvoice
from recura.db.unit_of_work import unit_of_work
from tests.conftest import T0, Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.domains.efactura.documents import add_einvoice
from tests.e2e.test_console_sign_in import check, page
from tests.fakes.anaf_server import FakeAnaf, running_fake_anaf
from tests.fakes.server_thread import serve_in_thread
from tests.scenarios.world import World

__all__ = ["page"]
CIF = "18547290"


@pytest.fixture
def fake_anaf(clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnaf]:
    with running_fake_anaf(now=clock.now) as fake:
        fake.add_client("recura-app", "app-secret", cifs={CIF})
        monkeypatch.setenv("RECURA_ANAF_OAUTH_BASE", fake.base_url)
        monkeypatch.setenv("RECURA_ANAF_API_BASE", fake.base_url)
        anaf_bases.cache_clear()
        yield fake
    anaf_bases.cache_clear()


@pytest.fixture
def site(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[str]:
    app = create_app(settings, clock=clock, engine=engine)
    with serve_in_thread(app) as url:
        # ANAF sends the browser back to the callback under the public address.
        app.state.settings = settings.model_copy(update={"public_url": url})
        yield url


def test_an_owner_connects_to_anaf_and_corrects_a_rejected_invoice(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    site: str,
    page: Page,
    tmp_path: Path,
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    world = World(merchant.api, T0)
    customer = world.customer(kind="company", legal_name="Client SRL", country="RO")
    made = [world.invoices(world.subscribe(customer, world.plan(4900))["id"])[0] for _ in range(2)]
    add_einvoice(
        session_factory, merchant.account_id, made[0]["id"], clock.now(), deadline=date(2026, 1, 22)
    )
    rejected = add_einvoice(
        session_factory,
        merchant.account_id,
        made[1]["id"],
        clock.now(),
        deadline=date(2026, 1, 16),
        state="rejected",
    )
    with unit_of_work(session_factory) as session:
        row = session.get(EInvoice, (merchant.account_id, rejected))
        assert row is not None
        row.anaf_messages = [
            {"rule": "BR-RO-100", "message": "[BR-RO-100] Adresa cumparatorului lipseste"}
        ]
    owner = add_user(session_factory, merchant, "owner")
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(owner.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    page.goto(site + "/console/settings/anaf")
    check(page, tmp_path, "anaf-settings")
    page.get_by_label("Client ID").fill("recura-app")
    page.get_by_label("Client secret").fill("app-secret")
    page.get_by_role("button", name="Continue to ANAF").click()
    page.wait_for_url("**/console/settings/anaf?done=connected")
    assert page.get_by_text(f"CUI {CIF}, application recura-app.").is_visible()
    check(page, tmp_path, "anaf-connected")

    page.goto(site + "/console/einvoices?mode=test")
    page.get_by_label("Deadline").select_option("1")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/console/einvoices?*at_risk=1*")
    assert page.get_by_text("[BR-RO-100] Adresa cumparatorului lipseste").is_visible()
    check(page, tmp_path, "einvoices-at-risk")
    page.get_by_role("button", name=f"Correct invoice {made[1]['number']}").click()
    page.wait_for_url("**/console/einvoices?*done=corrected")
    assert page.get_by_text("Issued again as").is_visible()
    check(page, tmp_path, "einvoices-corrected")
