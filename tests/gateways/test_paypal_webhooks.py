"""PayPal webhooks: verified by PayPal's endpoint (the fake's), checked for freshness,
translated into Recura's events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recura.core.money import Money
from recura.gateways.base import GatewayTimeout, WebhookRejected
from recura.gateways.paypal import PayPalGateway
from recura.gateways.paypal_webhooks import translate
from tests.fakes.paypal_server import running_fake_paypal
from tests.fakes.paypal_state import FakePayPal

VERIFY = "/v1/notifications/verify-webhook-signature"
NOW = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
STAMP = "2026-03-02T10:00:00Z"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakePayPal]:
    with running_fake_paypal() as server:
        yield server


@pytest.fixture
def gateway(fake: FakePayPal) -> PayPalGateway:
    fake.reset()
    return PayPalGateway(
        fake.client_id, fake.client_secret, fake.webhook_id, fake.base_url, timeout_seconds=5
    )


def capture_resource(status: str = "COMPLETED", value: str = "49.00") -> dict[str, Any]:
    return {
        "id": "2GG279541U471931P",
        "status": status,
        "amount": {"currency_code": "EUR", "value": value},
        "custom_id": "inv_1:1",
        "supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
        "create_time": "2026-03-02T09:59:58Z",
    }


def delivery(
    fake: FakePayPal,
    event_type: str = "PAYMENT.CAPTURE.COMPLETED",
    resource: dict[str, Any] | None = None,
    sent_at: str = STAMP,
) -> tuple[dict[str, str], bytes]:
    event = fake.event(
        event_type, resource or capture_resource(), create_time="2026-03-02T09:59:59Z"
    )
    return fake.sign(event, transmission_time=sent_at)


def test_verified_capture_completed(gateway: PayPalGateway, fake: FakePayPal) -> None:
    headers, body = delivery(fake)
    event = gateway.parse_webhook(headers, body, NOW)

    assert event.kind == "payment.succeeded"
    assert event.processor_type == "PAYMENT.CAPTURE.COMPLETED"
    assert event.event_id.startswith("WH-")
    assert event.payment_reference == "2GG279541U471931P"
    assert event.amount == Money(4900, "EUR")
    assert event.status == "COMPLETED"
    assert event.occurred_at == datetime(2026, 3, 2, 9, 59, 59, tzinfo=UTC)
    assert event.data == {"order_id": "5O190127TN364715T", "custom_id": "inv_1:1"}
    assert fake.requests.count(("POST", VERIFY)) == 1


def test_header_names_are_case_insensitive(gateway: PayPalGateway, fake: FakePayPal) -> None:
    headers, body = delivery(fake)
    lowered = {name.lower(): value for name, value in headers.items()}
    assert gateway.parse_webhook(lowered, body, NOW).kind == "payment.succeeded"


def test_tampered_body_is_rejected(gateway: PayPalGateway, fake: FakePayPal) -> None:
    headers, body = delivery(fake)
    forged = body.replace(b'"49.00"', b'"0.01"')
    assert forged != body
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(headers, forged, NOW)


def test_tampered_signature_is_rejected(gateway: PayPalGateway, fake: FakePayPal) -> None:
    headers, body = delivery(fake)
    signature = headers["PAYPAL-TRANSMISSION-SIG"]
    # Another first character, whatever it was: "A" over an "A" would change nothing.
    headers["PAYPAL-TRANSMISSION-SIG"] = ("B" if signature[0] == "A" else "A") + signature[1:]
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(headers, body, NOW)


def test_a_delivery_for_another_webhook_is_rejected(fake: FakePayPal) -> None:
    fake.reset()
    other = PayPalGateway(fake.client_id, fake.client_secret, "WH0OTHER", fake.base_url)
    headers, body = delivery(fake)
    with pytest.raises(WebhookRejected):
        other.parse_webhook(headers, body, NOW)


@pytest.mark.parametrize("offset", [timedelta(seconds=301), timedelta(seconds=-301)])
def test_stale_or_future_transmission_is_rejected_without_asking(
    gateway: PayPalGateway, fake: FakePayPal, offset: timedelta
) -> None:
    headers, body = delivery(fake)
    with pytest.raises(WebhookRejected, match="transmission time"):
        gateway.parse_webhook(headers, body, NOW + offset)
    assert ("POST", VERIFY) not in fake.requests


@pytest.mark.parametrize("offset", [timedelta(seconds=300), timedelta(seconds=-300)])
def test_transmission_within_five_minutes_is_accepted(
    gateway: PayPalGateway, fake: FakePayPal, offset: timedelta
) -> None:
    headers, body = delivery(fake)
    assert gateway.parse_webhook(headers, body, NOW + offset).kind == "payment.succeeded"


def test_missing_header_is_rejected(gateway: PayPalGateway, fake: FakePayPal) -> None:
    headers, body = delivery(fake)
    del headers["PAYPAL-CERT-URL"]
    with pytest.raises(WebhookRejected, match="PAYPAL-CERT-URL"):
        gateway.parse_webhook(headers, body, NOW)


def test_body_that_is_not_json_is_rejected(gateway: PayPalGateway, fake: FakePayPal) -> None:
    headers, _ = delivery(fake)
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(headers, b"not json", NOW)


def test_no_answer_from_paypal_is_a_timeout_not_a_rejection(fake: FakePayPal) -> None:
    fake.reset()
    gateway = PayPalGateway(
        fake.client_id, fake.client_secret, fake.webhook_id, fake.base_url, timeout_seconds=0.5
    )
    headers, body = delivery(fake)
    gateway.lookup("warm-up", "NOSUCHCAPTURE")  # the token first, then the hang
    fake.hang_next(1, 1.5)
    with pytest.raises(GatewayTimeout):
        gateway.parse_webhook(headers, body, NOW)


# -- translation (no network: `translate` runs only on verified events) ---------------------


def event(event_type: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "WH-1",
        "event_type": event_type,
        "create_time": "2026-03-02T09:59:59.123Z",
        "resource": resource,
    }


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("PAYMENT.CAPTURE.COMPLETED", "payment.succeeded"),
        ("PAYMENT.CAPTURE.DENIED", "payment.failed"),
        ("PAYMENT.CAPTURE.DECLINED", "payment.failed"),
        ("PAYMENT.CAPTURE.PENDING", "ignored"),
        ("CHECKOUT.ORDER.APPROVED", "ignored"),
        ("VAULT.PAYMENT-TOKEN.CREATED", "ignored"),
        ("SOMETHING.NEW", "ignored"),
    ],
)
def test_capture_and_other_event_kinds(event_type: str, kind: str) -> None:
    translated = translate(event(event_type, capture_resource()))
    assert translated.kind == kind
    assert translated.processor_type == event_type
    assert translated.occurred_at == datetime(2026, 3, 2, 9, 59, 59, 123000, tzinfo=UTC)


def test_denied_capture_carries_its_reason() -> None:
    resource = {**capture_resource("DECLINED"), "status_details": {"reason": "OTHER"}}
    translated = translate(event("PAYMENT.CAPTURE.DENIED", resource))
    assert (translated.payment_reference, translated.reason) == ("2GG279541U471931P", "OTHER")


@pytest.mark.parametrize("event_type", ["PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"])
def test_refund_events_name_the_refund_and_its_capture(event_type: str) -> None:
    refund = {
        "id": "1JU08902781691411",
        "status": "COMPLETED",
        "amount": {"currency_code": "HUF", "value": "1500"},
        "links": [
            {
                "rel": "self",
                "href": "https://api-m.paypal.com/v2/payments/refunds/1JU08902781691411",
            },
            {
                "rel": "up",
                "href": "https://api-m.paypal.com/v2/payments/captures/2GG279541U471931P",
            },
        ],
    }
    translated = translate(event(event_type, refund))
    assert translated.kind == "refund.succeeded"
    assert translated.refund_reference == "1JU08902781691411"
    assert translated.payment_reference == "2GG279541U471931P"
    assert translated.amount == Money(150000, "HUF")


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("CUSTOMER.DISPUTE.CREATED", "dispute.created"),
        ("CUSTOMER.DISPUTE.UPDATED", "dispute.updated"),
        ("CUSTOMER.DISPUTE.RESOLVED", "dispute.closed"),
    ],
)
def test_dispute_events(event_type: str, kind: str) -> None:
    dispute = {
        "dispute_id": "PP-D-27803",
        "status": "RESOLVED",
        "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
        "dispute_amount": {"currency_code": "JPY", "value": "3000"},
        "disputed_transactions": [{"seller_transaction_id": "2GG279541U471931P"}],
        "dispute_outcome": {"outcome_code": "RESOLVED_BUYER_FAVOUR"},
        "seller_response_due_date": "2026-04-26T22:17:17.000Z",
    }
    translated = translate(event(event_type, dispute))
    assert translated.respond_by == datetime(2026, 4, 26, 22, 17, 17, tzinfo=UTC)
    assert translated.kind == kind
    assert translated.dispute_reference == "PP-D-27803"
    assert translated.payment_reference == "2GG279541U471931P"
    assert translated.amount == Money(3000, "JPY")
    assert translated.reason == "MERCHANDISE_OR_SERVICE_NOT_RECEIVED"
    assert translated.data == {"outcome": "RESOLVED_BUYER_FAVOUR"}


@pytest.mark.parametrize(
    ("status", "outcome", "expected"),
    [
        ("OPEN", None, "needs_response"),
        ("WAITING_FOR_SELLER_RESPONSE", None, "needs_response"),
        ("WAITING_FOR_BUYER_RESPONSE", None, "under_review"),
        ("UNDER_REVIEW", None, "under_review"),
        ("RESOLVED", "RESOLVED_SELLER_FAVOUR", "won"),
        ("RESOLVED", "CANCELED_BY_BUYER", "won"),
        ("RESOLVED", "RESOLVED_BUYER_FAVOUR", "lost"),
        ("RESOLVED", "ACCEPTED", "lost"),
        ("RESOLVED", "SOMETHING_NEW", "lost"),
    ],
)
def test_dispute_stages_in_recuras_words(status: str, outcome: str | None, expected: str) -> None:
    dispute: dict[str, Any] = {"dispute_id": "PP-D-1", "status": status}
    if outcome:
        dispute["dispute_outcome"] = {"outcome_code": outcome}
    assert translate(event("CUSTOMER.DISPUTE.UPDATED", dispute)).status == expected


def test_a_capture_names_the_charge_it_was_made_for() -> None:
    capture = {**capture_resource(), "custom_id": "inv_1-2"}
    assert translate(event("PAYMENT.CAPTURE.COMPLETED", capture)).idempotency_key == "inv_1-2"


def test_deleted_payment_token() -> None:
    translated = translate(event("VAULT.PAYMENT-TOKEN.DELETED", {"id": "8kk8451t"}))
    assert (translated.kind, translated.method_reference) == ("payment_method.detached", "8kk8451t")


def test_amount_that_does_not_convert_exactly_is_rejected() -> None:
    with pytest.raises(WebhookRejected):
        translate(event("PAYMENT.CAPTURE.COMPLETED", capture_resource(value="49.001")))


@pytest.mark.parametrize(
    "broken",
    [
        {"event_type": "PAYMENT.CAPTURE.COMPLETED", "create_time": "2026-03-02T09:59:59Z"},
        {"id": "WH-1", "create_time": "2026-03-02T09:59:59Z"},
        {"id": "WH-1", "event_type": "X", "create_time": "2026-03-02T09:59:59"},
        {"id": "WH-1", "event_type": "X"},
    ],
)
def test_malformed_events_are_rejected(broken: dict[str, Any]) -> None:
    with pytest.raises(WebhookRejected):
        translate(broken)
