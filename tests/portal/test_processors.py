"""The payment-method page with a real processor's flow: Stripe's SetupIntent confirmed as
Stripe.js would (against localstripe), and PayPal's approval and return (the local fake)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from stripe.params import PaymentMethodCreateParams

from tests.conftest import Api, Merchant
from tests.fakes.localstripe import API_KEY, WEBHOOK_SECRET
from tests.fakes.paypal_server import running_fake_paypal
from tests.fakes.paypal_state import FakePayPal
from tests.fakes.processor_api import ProcessorApi
from tests.portal.conftest import TOTAL, get, post, sign, subscriber

PUBLISHABLE_KEY = "pk_test_recura"


def connect_stripe(api: Api, **over: str) -> None:
    body = {
        "gateway": "stripe",
        "api_key": API_KEY,
        "webhook_secret": WEBHOOK_SECRET,
        "publishable_key": PUBLISHABLE_KEY,
        **over,
    }
    saved = api.ok("POST", "/v1/gateway_connections", json=body)
    assert saved["settings"].get("publishable_key") == over.get("publishable_key", PUBLISHABLE_KEY)


def confirm_card(client: stripe.StripeClient, client_secret: str, number: str) -> str:
    """What Stripe.js does with the card element: the card goes to Stripe, which confirms
    the SetupIntent; the page then has the PaymentMethod's id."""
    setup_intent = client_secret.split("_secret_")[0]
    params: PaymentMethodCreateParams = {
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    }
    method = client.v1.payment_methods.create(params)
    confirmed = client.v1.setup_intents.confirm(setup_intent, {"payment_method": method.id})
    assert confirmed.status == "succeeded"
    return method.id


def test_a_card_saved_through_stripe_pays_the_overdue_invoice(
    api: Api, merchant: Merchant, stripe_api: ProcessorApi, stripe_client: stripe.StripeClient
) -> None:
    connect_stripe(api)
    who = subscriber(api, "en", card=None)  # the first invoice fails: no payment method
    (invoice,) = who.world.invoices(who.subscription)
    assert invoice["status"] == "open"
    path = f"/portal/payment-method/{sign(merchant, 'update_payment_method', who)}"

    page = get(api.client, path)
    (form,) = page.tree.xpath('//form[@id="card-form"]')
    secret = form.get("data-client-secret")
    assert secret.startswith("seti_")
    assert form.get("data-publishable-key") == PUBLISHABLE_KEY
    assert form.get("hidden") is not None  # shown by the script, so without JS only the note
    needs_js = page.tree.get_element_by_id("card-needs-js")  # until the script hides it
    assert "Entering a card needs JavaScript" in needs_js.text_content()
    scripts = page.tree.xpath("//script/@src")
    assert scripts == ["https://js.stripe.com/v3/", "/assets/card.js"]
    # Stripe.js may load and talk to Stripe, and nothing else from elsewhere.
    policy = page.response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "https://js.stripe.com" in policy
    assert "connect-src 'self' https://js.stripe.com https://api.stripe.com" in policy
    intent = stripe_client.v1.setup_intents.retrieve(secret.split("_secret_")[0])
    assert intent.usage == "off_session"

    method_id = confirm_card(stripe_client, secret, "4242424242424242")
    done = post(api.client, path, page.form("card-form") | {"token": method_id})
    assert "Your payment method was saved: Visa card ending in 4242" in done.text
    assert "Invoice NDT-000001 (RON 59.29) was paid." in done.text
    (saved,) = api.ok("GET", f"/v1/customers/{who.customer}/payment_methods")["data"]
    assert (saved["gateway"], saved["last4"], saved["default"]) == ("stripe", "4242", True)
    paid = api.ok("GET", f"/v1/invoices/{invoice['id']}")
    assert (paid["status"], paid["amount_paid"]["amount"]) == ("paid", TOTAL)
    assert stripe_client.v1.payment_methods.retrieve(method_id).customer is not None

    # The same id posted again (a resubmitted form) is the same method.
    post(api.client, path, page.form("card-form") | {"token": method_id})
    assert len(api.ok("GET", f"/v1/customers/{who.customer}/payment_methods")["data"]) == 1


def test_without_a_publishable_key_the_page_says_cards_cannot_be_taken(
    api: Api, merchant: Merchant, stripe_api: ProcessorApi
) -> None:
    connect_stripe(api, publishable_key=None)  # type: ignore[arg-type]
    who = subscriber(api, "ro", card=None)
    page = get(api.client, f"/portal/payment-method/{sign(merchant, 'update_payment_method', who)}")
    assert "Momentan nu puteți adăuga aici o metodă de plată nouă." in page.text
    assert page.tree.xpath("//form") == []


def test_publishable_keys_are_checked_for_the_mode(merchant: Merchant) -> None:
    body = {"gateway": "stripe", "api_key": "sk_test_abc", "webhook_secret": "whsec_abc"}
    live_key = merchant.api.post(
        "/v1/gateway_connections", json=body | {"publishable_key": "pk_live_abc"}
    )
    assert live_key.status_code == 422
    assert live_key.json()["errors"][0]["pointer"] == "#/publishable_key"
    secret_key = merchant.api.post(
        "/v1/gateway_connections", json=body | {"publishable_key": "sk_test_abc"}
    )
    assert secret_key.status_code == 422


@pytest.fixture(scope="module")
def paypal() -> Iterator[FakePayPal]:
    with running_fake_paypal() as fake:
        yield fake


def test_a_paypal_wallet_approved_at_paypal_pays_the_overdue_invoice(
    api: Api, merchant: Merchant, paypal: FakePayPal, processor_api: ProcessorApi
) -> None:
    paypal.reset()
    processor_api.point("paypal", paypal.base_url)
    body = {
        "gateway": "paypal",
        "client_id": paypal.client_id,
        "client_secret": paypal.client_secret,
        "webhook_id": paypal.webhook_id,
    }
    api.ok("POST", "/v1/gateway_connections", json=body)
    who = subscriber(api, "en", card=None, currency="EUR")
    (invoice,) = who.world.invoices(who.subscription)
    path = f"/portal/payment-method/{sign(merchant, 'update_payment_method', who)}"

    page = get(api.client, path)
    approve = page.link("paypal-link")
    assert approve.startswith(f"{paypal.base_url}/agreements/approve?")
    (setup_token,) = parse_qs(urlsplit(approve).query)["approval_session_id"]
    return_url = paypal.setup_tokens[setup_token]["experience_context"]["return_url"]
    assert return_url == f"http://127.0.0.1:8000{path}/return"

    # The payer leaves PayPal without approving: nothing changes.
    cancelled = get(api.client, f"{path}/return?paypal=cancelled")
    assert "You left PayPal before approving; nothing was changed." in cancelled.text

    paypal.approve_setup_token(setup_token, "ana@payer.example")
    back = get(api.client, f"{path}/return?approval_token_id={setup_token}")
    assert "Your payment method was saved: PayPal account ana@payer.example" in back.text
    assert "Invoice NDT-000001 (€59.29) was paid." in back.text
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    # Coming back again (a reload): still one wallet.
    get(api.client, f"{path}/return?approval_token_id={setup_token}")
    (wallet,) = api.ok("GET", f"/v1/customers/{who.customer}/payment_methods")["data"]
    assert (wallet["gateway"], wallet["default"]) == ("paypal", True)
    assert len(paypal.payment_tokens) == 1
