"""StripeGateway through the real SDK against localstripe on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import stripe

from recura.core.money import Money
from recura.gateways.base import (
    AmountMismatch,
    ChargeRequest,
    CustomerInfo,
    GatewayError,
    GatewayTimeout,
    PaymentGateway,
    RefundRequest,
    ReportedRefund,
    SavedMethod,
    WebhookRejected,
)
from recura.gateways.stripe import API_VERSION, KEY_METADATA, StripeGateway
from tests.fakes.localstripe import WEBHOOK_SECRET

VISA = "4242424242424242"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def new_card(client: stripe.StripeClient, number: str) -> str:
    """What Stripe.js does in the browser: the card goes to Stripe, a pm_ id comes back.
    Only ever done like this against localstripe."""
    card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    return client.v1.payment_methods.create({"type": "card", "card": card}).id


def key() -> str:
    return f"inv_{uuid.uuid4().hex}-attempt-1"


@pytest.fixture
def customer(gateway: StripeGateway) -> CustomerInfo:
    setup = gateway.start_setup(
        CustomerInfo("cus_recura1", "ana@example.ro", "Ana Pop"), None, "setup-1"
    )
    return CustomerInfo("cus_recura1", "ana@example.ro", "Ana Pop", setup.processor_customer)


def save_card(
    gateway: StripeGateway, client: stripe.StripeClient, customer: CustomerInfo, number: str
) -> SavedMethod:
    return gateway.complete_setup(customer, new_card(client, number))


def charge_request(
    method: SavedMethod, amount: Money, idempotency_key: str | None = None
) -> ChargeRequest:
    return ChargeRequest(
        amount=amount,
        idempotency_key=idempotency_key or key(),
        method=method.reference,
        processor_customer=method.processor_customer,
        description="Invoice RO-2026-0001",
        metadata={"invoice": "inv_1"},
    )


def test_is_a_payment_gateway(gateway: StripeGateway) -> None:
    as_protocol: PaymentGateway = gateway
    assert as_protocol.name == "stripe"


def test_webhooks_are_verified_with_the_gateways_own_secret() -> None:
    body = json.dumps(
        {
            "id": "evt_9",
            "type": "payment_method.detached",
            "created": 1772366000,
            "data": {"object": {"id": "pm_9", "object": "payment_method"}},
        }
    ).encode()
    now = datetime.fromtimestamp(1772366000, UTC)

    def signed(secret: str) -> dict[str, str]:
        digest = hmac.new(secret.encode(), b"1772366000." + body, hashlib.sha256).hexdigest()
        return {"Stripe-Signature": f"t=1772366000,v1={digest}"}

    gateway = StripeGateway("sk_test_unused", "whsec_mine")
    parsed = gateway.parse_webhook(signed("whsec_mine"), body, now)
    assert (parsed.kind, parsed.method_reference) == ("payment_method.detached", "pm_9")
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(signed("whsec_theirs"), body, now)


# --- saving a card ---


def test_start_setup_creates_the_customer_and_an_off_session_setup_intent(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    setup = gateway.start_setup(CustomerInfo("cus_new", "ion@example.ro", "Ion"), None, "setup-1")

    assert setup.processor_customer is not None
    assert setup.processor_customer.startswith("cus_")
    assert setup.reference is not None
    assert setup.client_secret is not None
    assert setup.client_secret.startswith(f"{setup.reference}_secret_")
    intent = stripe_client.v1.setup_intents.retrieve(setup.reference)
    assert (intent.customer, intent.usage) == (setup.processor_customer, "off_session")
    assert intent.payment_method_types == ["card"]
    made = stripe_client.v1.customers.retrieve(setup.processor_customer)
    assert (made.email, made.name) == ("ion@example.ro", "Ion")
    assert made.metadata.to_dict() == {"recura_customer": "cus_new"}


def test_start_setup_keeps_an_existing_customer(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    before = len(stripe_client.v1.customers.list({"limit": 100}).data)
    setup = gateway.start_setup(customer, "https://shop.example/return", "setup-1")
    assert setup.processor_customer == customer.processor_customer
    assert len(stripe_client.v1.customers.list({"limit": 100}).data) == before


def test_complete_setup_attaches_the_card_the_browser_created(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    token = new_card(stripe_client, VISA)

    saved = gateway.complete_setup(customer, token)

    assert saved == SavedMethod(
        reference=token,
        kind="card",
        processor_customer=customer.processor_customer,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
    )
    assert stripe_client.v1.payment_methods.retrieve(token).customer == customer.processor_customer


def test_complete_setup_takes_a_confirmed_setup_intent(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    setup = gateway.start_setup(customer, None, "setup-1")
    assert setup.reference is not None
    token = new_card(stripe_client, VISA)
    # Stripe.js confirmCardSetup, in the browser.
    stripe_client.v1.setup_intents.confirm(setup.reference, {"payment_method": token})

    saved = gateway.complete_setup(customer, setup.reference)

    assert (saved.reference, saved.last4) == (token, "4242")
    assert stripe_client.v1.payment_methods.retrieve(token).customer == customer.processor_customer


def test_complete_setup_refuses_an_unconfirmed_setup_intent(
    gateway: StripeGateway, customer: CustomerInfo
) -> None:
    setup = gateway.start_setup(customer, None, "setup-1")
    assert setup.reference is not None
    with pytest.raises(GatewayError, match="requires_payment_method"):
        gateway.complete_setup(customer, setup.reference)


def test_complete_setup_refuses_another_customers_card(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    theirs = save_card(gateway, stripe_client, customer, VISA)
    other = gateway.start_setup(CustomerInfo("cus_other", None, None), None, "setup-1")
    mine = CustomerInfo("cus_other", None, None, other.processor_customer)
    with pytest.raises(GatewayError, match="another Stripe customer"):
        gateway.complete_setup(mine, theirs.reference)


def test_complete_setup_refuses_what_is_not_a_stripe_token(
    gateway: StripeGateway, customer: CustomerInfo
) -> None:
    with pytest.raises(GatewayError, match="not a PaymentMethod"):
        gateway.complete_setup(customer, "tok_visa")


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("4000000000000002", id="generic-decline"),
        pytest.param("4000000000009995", id="insufficient-funds"),
        pytest.param("4000000000000069", id="expired"),
    ],
)
def test_a_card_declined_when_saved_is_a_gateway_error(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo, number: str
) -> None:
    # localstripe declines these when they are attached, always as card_declined.
    with pytest.raises(GatewayError, match="card_declined"):
        save_card(gateway, stripe_client, customer, number)


def test_detach_is_idempotent(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    saved = save_card(gateway, stripe_client, customer, VISA)
    gateway.detach(saved)
    gateway.detach(saved)
    assert stripe_client.v1.payment_methods.retrieve(saved.reference).customer is None


def test_detach_of_an_unknown_method_is_done_already(gateway: StripeGateway) -> None:
    gateway.detach(SavedMethod(reference="pm_missing", kind="card"))


# --- charging ---


def test_charge_succeeds_and_carries_the_key(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    saved = save_card(gateway, stripe_client, customer, VISA)
    request = charge_request(saved, Money(4900, "RON"))

    result = gateway.charge(request)

    assert (result.status, result.amount) == ("succeeded", Money(4900, "RON"))
    assert result.reference is not None
    intent = stripe_client.v1.payment_intents.retrieve(result.reference)
    assert (intent.amount, intent.currency) == (4900, "ron")
    assert (intent.customer, intent.payment_method) == (
        customer.processor_customer,
        saved.reference,
    )
    assert intent.description == "Invoice RO-2026-0001"
    assert intent.metadata.to_dict() == {"invoice": "inv_1", KEY_METADATA: request.idempotency_key}


@pytest.mark.parametrize(
    ("amount", "sent"),
    [
        pytest.param(Money(1999, "EUR"), (1999, "eur"), id="EUR"),
        pytest.param(Money(5000, "JPY"), (5000, "jpy"), id="JPY-zero-decimal"),
    ],
)
def test_charge_sends_stripe_units(
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    customer: CustomerInfo,
    amount: Money,
    sent: tuple[int, str],
) -> None:
    saved = save_card(gateway, stripe_client, customer, VISA)
    result = gateway.charge(charge_request(saved, amount))
    assert (result.status, result.amount) == ("succeeded", amount)
    assert result.reference is not None
    intent = stripe_client.v1.payment_intents.retrieve(result.reference)
    assert (intent.amount, intent.currency) == sent


def test_same_key_twice_makes_one_payment(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    saved = save_card(gateway, stripe_client, customer, VISA)
    request = charge_request(saved, Money(4900, "RON"))

    first, second = gateway.charge(request), gateway.charge(request)

    assert first == second
    made = [
        intent
        for intent in stripe_client.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
        if intent.metadata.to_dict().get(KEY_METADATA) == request.idempotency_key
    ]
    assert len(made) == 1


def test_same_key_for_another_amount_is_refused(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    saved = save_card(gateway, stripe_client, customer, VISA)
    request = charge_request(saved, Money(4900, "RON"))
    gateway.charge(request)
    with pytest.raises(GatewayError, match="same parameters"):
        gateway.charge(charge_request(saved, Money(5900, "RON"), request.idempotency_key))


def test_a_decline_when_charged_is_a_failed_charge(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    # Attaches fine, declines every charge.
    saved = save_card(gateway, stripe_client, customer, "4000000000000341")
    request = charge_request(saved, Money(4900, "RON"))

    result = gateway.charge(request)

    assert (result.status, result.failure_code) == ("failed", "card_declined")
    assert result.failure_message
    assert result.reference is not None
    assert result.reference.startswith("pi_")
    later = gateway.lookup(request.idempotency_key, result.reference)
    assert (later.status, later.failure_code) == ("failed", "card_declined")


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("4000002500003155", id="3155"),
        pytest.param("4000002760003184", id="3184"),
    ],
)
def test_a_card_that_must_authenticate_requires_action(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo, number: str
) -> None:
    saved = save_card(gateway, stripe_client, customer, number)
    request = charge_request(saved, Money(4900, "RON"))

    result = gateway.charge(request)

    assert (result.status, result.failure_code) == ("requires_action", "authentication_required")
    assert result.reference is not None
    assert result.action_url is None  # localstripe asks for Stripe.js, not a redirect
    assert gateway.lookup(request.idempotency_key, result.reference).status == "requires_action"


def test_an_amount_stripe_cannot_express_is_refused_before_sending(
    make_gateway, canned, customer: CustomerInfo
) -> None:
    saved = SavedMethod("pm_x", "card", customer.processor_customer)
    with pytest.raises(AmountMismatch):
        make_gateway(canned.url).charge(charge_request(saved, Money(150, "MGA")))
    with pytest.raises(AmountMismatch):
        make_gateway(canned.url).refund(RefundRequest("pi_x", Money(5125, "KWD"), key()))
    assert canned.seen == []


def test_a_wrong_secret_key_is_a_gateway_error(make_gateway, localstripe: str) -> None:
    with pytest.raises(GatewayError, match="refused"):
        make_gateway(localstripe, api_key="pk_test_not_secret").lookup(key(), "pi_x")


# --- looking up ---


def test_lookup_by_key_finds_a_payment_whose_answer_was_lost(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    saved = save_card(gateway, stripe_client, customer, VISA)
    for _ in range(3):
        gateway.charge(charge_request(saved, Money(100, "RON")))
    request = charge_request(saved, Money(4900, "RON"))
    made = gateway.charge(request)

    found = gateway.lookup(request.idempotency_key, None)

    assert found == made
    assert (found.status, found.amount) == ("succeeded", Money(4900, "RON"))


def test_lookup_of_what_never_arrived_is_not_found(gateway: StripeGateway) -> None:
    assert gateway.lookup(key(), None).status == "not_found"
    assert gateway.lookup(key(), "pi_never_made").status == "not_found"


def test_lookup_refuses_a_reference_made_for_another_key(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    saved = save_card(gateway, stripe_client, customer, VISA)
    made = gateway.charge(charge_request(saved, Money(4900, "RON")))
    with pytest.raises(GatewayError, match="not this one"):
        gateway.lookup(key(), made.reference)


# --- refunds ---


@pytest.fixture
def paid(gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo) -> str:
    saved = save_card(gateway, stripe_client, customer, VISA)
    result = gateway.charge(charge_request(saved, Money(4900, "RON")))
    assert result.reference is not None
    return result.reference


def test_partial_then_full_refund(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, paid: str
) -> None:
    first_key = key()
    first = gateway.refund(RefundRequest(paid, Money(1000, "RON"), first_key, "goodwill"))
    rest = gateway.refund(RefundRequest(paid, Money(3900, "RON"), key(), "requested_by_customer"))

    assert (first.status, first.amount) == ("succeeded", Money(1000, "RON"))
    assert (rest.status, rest.amount) == ("succeeded", Money(3900, "RON"))
    assert first.reference is not None
    assert rest.reference is not None
    made = stripe_client.v1.refunds.retrieve(first.reference)
    assert made.metadata.to_dict() == {KEY_METADATA: first_key, "recura_reason": "goodwill"}
    assert stripe_client.v1.refunds.retrieve(rest.reference).reason == "requested_by_customer"


def test_refund_with_the_same_key_twice_refunds_once(gateway: StripeGateway, paid: str) -> None:
    request = RefundRequest(paid, Money(4900, "RON"), key())
    assert gateway.refund(request) == gateway.refund(request)


def test_refund_in_another_currency_than_the_payment_is_refused(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, paid: str
) -> None:
    with pytest.raises(GatewayError, match="is in RON"):
        gateway.refund(RefundRequest(paid, Money(4900, "JPY"), key()))
    assert stripe_client.v1.refunds.list({"payment_intent": paid}).data == []


# --- the pinned API version ---


def recorded(localstripe: str) -> list[dict[str, str]]:
    """What localstripe was sent, in order (tests/gateways/localstripe_server.py)."""
    return httpx.get(f"{localstripe}/_recorded", timeout=10).json()  # type: ignore[no-any-return]


def test_every_request_carries_the_pinned_version_and_charges_the_saved_type_only(
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    customer: CustomerInfo,
    localstripe: str,
) -> None:
    saved = save_card(gateway, stripe_client, customer, VISA)
    already = len(recorded(localstripe))
    paid = gateway.charge(charge_request(saved, Money(4900, "RON")))
    assert paid.reference is not None
    gateway.refund(RefundRequest(paid.reference, Money(100, "RON"), f"{paid.reference}-r1"))

    sent = recorded(localstripe)[already:]
    assert [r["path"] for r in sent] == [
        "/v1/payment_intents",
        f"/v1/payment_intents/{paid.reference}",
        "/v1/refunds",
    ]
    assert {r["stripe_version"] for r in sent} == {API_VERSION}
    created = parse_qs(sent[0]["body"])
    assert created["allowed_payment_method_types[0]"] == ["card"]


# --- what a webhook leaves out, read at Stripe ---


def signed_event(kind: str, obj: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    body = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "api_version": API_VERSION,
            "type": kind,
            "created": int(NOW.timestamp()),
            "data": {"object": obj},
        }
    ).encode()
    stamp = int(NOW.timestamp())
    digest = hmac.new(
        WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={digest}"}, body


def test_a_refunded_charge_is_told_with_each_of_its_refunds(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    saved = save_card(gateway, stripe_client, customer, VISA)
    paid = gateway.charge(charge_request(saved, Money(4900, "RON")))
    assert paid.reference is not None
    ours = gateway.refund(RefundRequest(paid.reference, Money(1000, "RON"), "pay_1-refund-1"))
    theirs = stripe_client.v1.refunds.create({"payment_intent": paid.reference, "amount": 500})
    charge = {"id": "ch_1", "object": "charge", "payment_intent": paid.reference}

    event = gateway.parse_webhook(*signed_event("charge.refunded", charge), NOW)

    assert event.api_version == API_VERSION
    assert sorted(event.refunds, key=lambda r: r.reference) == sorted(
        [
            ReportedRefund(str(ours.reference), Money(1000, "RON"), "succeeded", "pay_1-refund-1"),
            ReportedRefund(theirs.id, Money(500, "RON"), "succeeded"),
        ],
        key=lambda r: r.reference,
    )


def test_a_saved_setup_intent_is_told_with_its_card(
    gateway: StripeGateway, stripe_client: stripe.StripeClient, customer: CustomerInfo
) -> None:
    method = new_card(stripe_client, VISA)
    setup = {
        "id": "seti_1",
        "object": "setup_intent",
        "customer": customer.processor_customer,
        "payment_method": method,
        "status": "succeeded",
        "metadata": {"recura_customer": customer.customer_id},
    }

    event = gateway.parse_webhook(*signed_event("setup_intent.succeeded", setup), NOW)

    assert (event.kind, event.customer_reference) == ("payment_method.saved", "cus_recura1")
    assert event.method is not None
    assert (event.method.reference, event.method.last4) == (method, "4242")
    assert event.method.processor_customer == customer.processor_customer


def test_what_cannot_be_read_at_stripe_is_asked_again(make_gateway) -> None:
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1"}
    with pytest.raises(GatewayTimeout):
        make_gateway("http://127.0.0.1:9", timeout_seconds=1).parse_webhook(
            *signed_event("charge.refunded", charge), NOW
        )
