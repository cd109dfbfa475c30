"""The hosted checkout paid with a PayPal wallet in a real browser: the pay page's link to
PayPal (the local fake's approval page, on loopback), back on the checkout, confirmed, at
a desktop and a phone width, the pages checked with axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from tests.conftest import T0, Api
from tests.e2e.test_checkout_browser import TIMEOUT_MS, checked, open_checkout
from tests.fakes.paypal_server import running_fake_paypal
from tests.fakes.paypal_state import FakePayPal
from tests.fakes.processor_api import ProcessorApi
from tests.fakes.server_thread import serve_in_thread
from tests.scenarios.world import World


@pytest.fixture(scope="module")
def paypal() -> Iterator[FakePayPal]:
    with running_fake_paypal() as fake:
        yield fake


@pytest.fixture(params=[1280, 375], ids=["desktop", "phone"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def site(
    settings: Settings,
    clock: FixedClock,
    engine: Engine,
    paypal: FakePayPal,
    processor_api: ProcessorApi,
) -> Iterator[str]:
    """The app on a loopback port, its public address that port: PayPal sends the payer
    back there."""
    paypal.reset()
    processor_api.point("paypal", paypal.base_url)
    app = create_app(settings, clock=clock, engine=engine)
    with serve_in_thread(app) as url:
        app.state.settings = settings.model_copy(update={"public_url": url})
        yield url


def test_a_paypal_wallet_approved_at_paypal_pays_the_checkout(
    api: Api,
    paypal: FakePayPal,
    site: str,
    page: Page,
    tmp_path: Path,
) -> None:
    api.ok(
        "POST",
        "/v1/gateway_connections",
        json={
            "gateway": "paypal",
            "client_id": paypal.client_id,
            "client_secret": paypal.client_secret,
            "webhook_id": paypal.webhook_id,
        },
    )
    world = World(api, T0, timezone="UTC", tax_rate="21", currency="EUR")
    done = f"{site}/checkout/{{CHECKOUT_SESSION_ID}}/done"  # http is accepted on 127.0.0.1
    checkout_id = open_checkout(api, world.plan(4900), locale="en", success_url=done)
    page.goto(f"{site}/checkout/{checkout_id}")
    page.fill("#email", "ana@example.de")
    page.fill("#name", "Ana Popescu")
    page.select_option("#country", "DE")
    page.fill("#line1", "Unter den Linden 1")
    page.fill("#city", "Berlin")
    page.click("#details-form button[type=submit]")

    expect(page.locator("#paypal-link")).to_be_visible()
    checked(page, tmp_path, "paypal-pay")
    page.click("#paypal-link")
    expect(page.locator("h1")).to_have_text("Approve with PayPal")  # at PayPal
    page.click("#cancel")  # left without approving
    expect(page.locator("#notice")).to_have_text(
        "You left PayPal before approving; nothing was changed."
    )
    page.click("#paypal-link")
    page.fill("#email", "ana@payer.example")
    page.click("#approve")

    page.wait_for_url(f"{site}/checkout/{checkout_id}/pay")
    expect(page.locator("#current-method")).to_contain_text("PayPal account ana@payer.example")
    checked(page, tmp_path, "paypal-approved")
    page.check("#terms")
    page.click("#confirm")
    page.wait_for_url(f"{site}/checkout/{checkout_id}/done")
    expect(page.locator("#bought")).to_contain_text("You are subscribed to Pro.")

    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["result"]["subscription"]["status"] == "active"
    (payment,) = api.ok("GET", "/v1/payments", params={"customer": session["customer"]})["data"]
    assert (payment["gateway"], payment["status"]) == ("paypal", "succeeded")
