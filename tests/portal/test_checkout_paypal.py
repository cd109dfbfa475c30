"""The hosted checkout paid with a PayPal wallet: approved at PayPal (the local fake that
follows PayPal's published API), back on the checkout, confirmed; the first invoice is
charged through the one charge path like a card's. Leaving PayPal, or a wallet PayPal
declines, leaves the checkout open on its one subscription."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import T0, Api
from tests.fakes.paypal_server import running_fake_paypal
from tests.fakes.paypal_state import DECLINE_EMAIL, FakePayPal
from tests.fakes.processor_api import ProcessorApi
from tests.portal.conftest import Page, get
from tests.portal.test_checkout_page import ANA, fill_details, open_checkout
from tests.scenarios.world import World


@pytest.fixture(scope="module")
def paypal() -> Iterator[FakePayPal]:
    with running_fake_paypal() as fake:
        yield fake


@pytest.fixture
def shop(api: Api, paypal: FakePayPal, processor_api: ProcessorApi) -> World:
    """A merchant selling in euros (PayPal takes no lei) with PayPal connected."""
    paypal.reset()
    processor_api.point("paypal", paypal.base_url)
    body = {
        "gateway": "paypal",
        "client_id": paypal.client_id,
        "client_secret": paypal.client_secret,
        "webhook_id": paypal.webhook_id,
    }
    api.ok("POST", "/v1/gateway_connections", json=body)
    return World(api, T0, timezone="UTC", tax_rate="21", currency="EUR")


def approved(api: Api, paypal: FakePayPal, checkout_id: str, email: str) -> Page:
    """The subscriber's way through PayPal: the pay page's link, PayPal's approval, back on
    the checkout. Returns the pay page they come back to."""
    pay = fill_details(api.client, checkout_id, ANA)
    approve = pay.link("paypal-link")
    assert approve.startswith(f"{paypal.base_url}/agreements/approve?")
    (setup_token,) = parse_qs(urlsplit(approve).query)["approval_session_id"]
    return_url = paypal.setup_tokens[setup_token]["experience_context"]["return_url"]
    assert return_url == f"http://127.0.0.1:8000/checkout/{checkout_id}/paypal"

    # Leaving PayPal without approving changes nothing.
    left = get(api.client, f"/checkout/{checkout_id}/paypal?paypal=cancelled")
    assert "You left PayPal before approving; nothing was changed." in left.text
    assert not api.ok("GET", "/v1/subscriptions")["data"]

    paypal.approve_setup_token(setup_token, email)
    back = api.client.get(
        f"/checkout/{checkout_id}/paypal?approval_token_id={setup_token}", follow_redirects=False
    )
    assert back.status_code == 303
    assert back.headers["location"] == f"/checkout/{checkout_id}/pay"
    # Coming back twice (a reload) saves one wallet.
    api.client.get(f"/checkout/{checkout_id}/paypal?approval_token_id={setup_token}")
    assert len(paypal.payment_tokens) == 1
    return get(api.client, f"/checkout/{checkout_id}/pay")


def confirm(api: Api, checkout_id: str, pay: Page, status: int) -> str:
    response = api.client.post(
        f"/checkout/{checkout_id}/pay",
        data=pay.form("pay-form") | {"terms": "yes"},
        follow_redirects=False,
    )
    assert response.status_code == status, response.text
    return response.text if status != 303 else response.headers["location"]


def test_a_paypal_wallet_pays_the_first_invoice(api: Api, shop: World, paypal: FakePayPal) -> None:
    checkout_id = open_checkout(api, shop.plan(4900))
    pay = approved(api, paypal, checkout_id, "ana@payer.example")
    current = pay.tree.get_element_by_id("current-method").text_content()
    assert "PayPal account ana@payer.example" in current

    target = confirm(api, checkout_id, pay, 303)

    assert target == f"https://shop.example.ro/welcome?session={checkout_id}"
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "complete"
    sub = session["result"]["subscription"]
    assert sub["status"] == "active"
    (payment,) = api.ok("GET", "/v1/payments", params={"customer": session["customer"]})["data"]
    assert (payment["gateway"], payment["status"]) == ("paypal", "succeeded")
    assert payment["amount"] == {"amount": 5929, "currency": "EUR"}
    (invoice,) = shop.invoices(sub["id"])
    assert invoice["status"] == "paid"
    completed = [e for e in shop.events(checkout_id) if e["type"] == "checkout.session.completed"]
    assert [e["data"]["payment"] for e in completed] == ["charged"]
    # A second confirmation (the back button) makes nothing more.
    assert confirm(api, checkout_id, pay, 303) == target
    assert len(api.ok("GET", "/v1/payments", params={"customer": session["customer"]})["data"]) == 1


def test_a_wallet_paypal_declines_leaves_the_checkout_open(
    api: Api, shop: World, paypal: FakePayPal
) -> None:
    checkout_id = open_checkout(api, shop.plan(4900))
    pay = approved(api, paypal, checkout_id, DECLINE_EMAIL)

    text = confirm(api, checkout_id, pay, 402)

    assert "Your payment was declined. Try another payment method." in text
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "open"
    (sub,) = api.ok("GET", "/v1/subscriptions", params={"customer": session["customer"]})["data"]
    assert sub["status"] == "incomplete"
    assert api.ok("GET", f"/v1/customers/{session['customer']}/entitlements")["features"] == []
