"""Stripe webhook verification and translation (no network).

The event bodies are small literal versions of Stripe's objects, with the fields Recura reads.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recura.core.money import Money
from recura.gateways.base import GatewayEvent, ReportedRefund, SavedMethod, WebhookRejected
from recura.gateways.stripe_webhooks import translate, verify

SECRET = "whsec_webhook_test"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CREATED = 1772366000  # 2026-03-01 11:53:20 UTC, when Stripe says it happened


def sign(body: bytes, at: datetime = NOW, secret: str = SECRET) -> str:
    t = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event(type_: str, obj: dict[str, Any]) -> bytes:
    body = {
        "id": "evt_1",
        "object": "event",
        "type": type_,
        "created": CREATED,
        "livemode": False,
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


BODY = event("customer.created", {"id": "cus_1", "object": "customer"})


def parse(body: bytes, header: str | None, now: datetime = NOW) -> GatewayEvent:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return translate(verify(headers, body, SECRET, now))


# --- verification ---


def test_a_signed_event_is_accepted() -> None:
    parsed = parse(BODY, sign(BODY))
    assert (parsed.event_id, parsed.kind, parsed.processor_type) == (
        "evt_1",
        "ignored",
        "customer.created",
    )
    assert parsed.occurred_at == datetime.fromtimestamp(CREATED, UTC)


def test_the_header_name_is_case_insensitive() -> None:
    assert verify({"stripe-signature": sign(BODY)}, BODY, SECRET, NOW)["id"] == "evt_1"


@pytest.mark.parametrize(
    ("body", "header", "reason"),
    [
        pytest.param(BODY, None, "missing", id="no-header"),
        pytest.param(BODY, sign(BODY, secret="whsec_other"), "does not match", id="wrong-secret"),
        pytest.param(
            BODY.replace(b"cus_1", b"cus_2"), sign(BODY), "does not match", id="tampered-body"
        ),
        pytest.param(BODY, sign(BODY).split(",")[1], "timestamp", id="no-timestamp"),
        pytest.param(BODY, "t=abc," + sign(BODY).split(",")[1], "timestamp", id="bad-timestamp"),
        pytest.param(BODY, sign(BODY).replace("v1=", "v0="), "no v1", id="only-v0"),
        pytest.param(BODY, "", "timestamp", id="empty-header"),
        pytest.param(
            BODY, sign(BODY, NOW - timedelta(seconds=301)), "301 s old", id="301s-in-the-past"
        ),
        pytest.param(
            BODY, sign(BODY, NOW + timedelta(seconds=301)), "301 s in the future", id="301s-ahead"
        ),
        pytest.param(b"not json", sign(b"not json"), "not JSON", id="not-json"),
        pytest.param(b"\xff\xfe", sign(b"\xff\xfe"), "not JSON", id="not-utf8"),
        pytest.param(
            b'{"id": "evt_1"}', sign(b'{"id": "evt_1"}'), "not a Stripe event", id="no-type"
        ),
        pytest.param(b"[1, 2]", sign(b"[1, 2]"), "not a Stripe event", id="json-list"),
    ],
)
def test_rejected(body: bytes, header: str | None, reason: str) -> None:
    with pytest.raises(WebhookRejected, match=reason):
        parse(body, header)


@pytest.mark.parametrize("seconds", [-300, -299, 299, 300])
def test_within_300_seconds_either_way_is_accepted(seconds: int) -> None:
    assert parse(BODY, sign(BODY, NOW + timedelta(seconds=seconds))).event_id == "evt_1"


def test_the_tolerance_is_measured_from_now_not_the_wall_clock() -> None:
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    assert parse(BODY, sign(BODY, long_ago), now=long_ago).event_id == "evt_1"


def test_any_of_several_v1_signatures_may_match() -> None:
    # Stripe sends one v1 per active secret while a secret is being rolled.
    good = sign(BODY)
    t, v1 = good.split(",")
    header = f"{t},v1={'0' * 64},{v1},v0=deadbeef"
    assert parse(BODY, header).event_id == "evt_1"
    with pytest.raises(WebhookRejected):
        parse(BODY, f"{t},v1={'0' * 64},v1={'1' * 64}")


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse(BODY, sign(BODY), now=NOW.replace(tzinfo=None))


# --- translation ---


def intent(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "pi_1",
        "object": "payment_intent",
        "amount": 4900,
        "currency": "ron",
        "status": status,
        "payment_method": "pm_1",
        **extra,
    }


def refund(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "re_1",
        "object": "refund",
        "amount": 1000,
        "currency": "ron",
        "charge": "ch_1",
        "payment_intent": "pi_1",
        "status": status,
        "reason": None,
        **extra,
    }


def dispute(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "dp_1",
        "object": "dispute",
        "amount": 4900,
        "currency": "ron",
        "charge": "ch_1",
        "payment_intent": "pi_1",
        "reason": "fraudulent",
        "status": status,
        **extra,
    }


CHARGE = {
    "id": "ch_1",
    "object": "charge",
    "amount": 4900,
    "amount_refunded": 4900,
    "currency": "ron",
    "payment_intent": "pi_1",
    "refunded": True,
    "status": "succeeded",
}
RON_49 = Money(4900, "RON")
RON_10 = Money(1000, "RON")


@pytest.mark.parametrize(
    ("type_", "obj", "expected"),
    [
        pytest.param(
            "payment_intent.succeeded",
            intent("succeeded", metadata={"recura_key": "inv_1-1"}),
            {
                "kind": "payment.succeeded",
                "payment_reference": "pi_1",
                "idempotency_key": "inv_1-1",
                "method_reference": "pm_1",
                "amount": RON_49,
                "status": "succeeded",
            },
            id="payment_intent.succeeded",
        ),
        pytest.param(
            "payment_intent.payment_failed",
            intent(
                "requires_payment_method",
                last_payment_error={"code": "card_declined", "decline_code": "insufficient_funds"},
            ),
            {
                "kind": "payment.failed",
                "payment_reference": "pi_1",
                "method_reference": "pm_1",
                "amount": RON_49,
                "status": "requires_payment_method",
                "reason": "insufficient_funds",
            },
            id="payment_intent.payment_failed",
        ),
        pytest.param(
            "payment_intent.payment_failed",
            intent("requires_payment_method"),
            {
                "kind": "payment.failed",
                "payment_reference": "pi_1",
                "method_reference": "pm_1",
                "amount": RON_49,
                "status": "requires_payment_method",
            },
            id="payment_intent.payment_failed-without-error",
        ),
        pytest.param(
            "payment_intent.processing",
            intent("processing"),
            {
                "kind": "payment.processing",
                "payment_reference": "pi_1",
                "method_reference": "pm_1",
                "amount": RON_49,
                "status": "processing",
            },
            id="payment_intent.processing",
        ),
        pytest.param(
            "payment_intent.requires_action",
            intent(
                "requires_action",
                next_action={
                    "type": "redirect_to_url",
                    "redirect_to_url": {"url": "https://hooks.stripe.com/3ds/x"},
                },
            ),
            {
                "kind": "payment.requires_action",
                "payment_reference": "pi_1",
                "method_reference": "pm_1",
                "amount": RON_49,
                "status": "requires_action",
                "reason": "authentication_required",
                "action_url": "https://hooks.stripe.com/3ds/x",
            },
            id="payment_intent.requires_action",
        ),
        pytest.param(
            "payment_intent.canceled",
            intent("canceled", cancellation_reason="abandoned"),
            {
                "kind": "payment.failed",
                "payment_reference": "pi_1",
                "method_reference": "pm_1",
                "amount": RON_49,
                "status": "canceled",
                "reason": "processing_error",
            },
            id="payment_intent.canceled",
        ),
        pytest.param(
            "setup_intent.succeeded",
            {
                "id": "seti_1",
                "object": "setup_intent",
                "customer": "cus_1",
                "payment_method": "pm_1",
                "status": "succeeded",
                "metadata": {"recura_customer": "cus_01ABC"},
            },
            # The card itself is read at Stripe by the gateway (test_stripe.py).
            {
                "kind": "payment_method.saved",
                "method_reference": "pm_1",
                "customer_reference": "cus_01ABC",
                "status": "succeeded",
            },
            id="setup_intent.succeeded",
        ),
        pytest.param(
            "setup_intent.setup_failed",
            {
                "id": "seti_1",
                "object": "setup_intent",
                "customer": "cus_1",
                "payment_method": None,
                "status": "requires_payment_method",
                "last_setup_error": {"code": "card_declined", "message": "declined"},
                "metadata": {"recura_customer": "cus_01ABC"},
            },
            {
                "kind": "payment_method.setup_failed",
                "customer_reference": "cus_01ABC",
                "status": "requires_payment_method",
                "reason": "card_declined",
            },
            id="setup_intent.setup_failed",
        ),
        pytest.param(
            "charge.refunded",
            CHARGE,
            # No refund named: the gateway lists them at Stripe (test_stripe.py).
            {"kind": "refund.succeeded", "payment_reference": "pi_1", "status": "succeeded"},
            id="charge.refunded",
        ),
        pytest.param(
            "charge.refunded",
            {
                **CHARGE,
                "amount_refunded": 3000,
                "refunds": {
                    "object": "list",
                    "has_more": False,
                    "data": [
                        refund("succeeded", metadata={"recura_key": "pay_1-refund-2"}),
                        refund("succeeded", id="re_0", amount=2000),
                    ],
                },
            },
            {
                "kind": "refund.succeeded",
                "payment_reference": "pi_1",
                "refunds": (
                    ReportedRefund("re_1", RON_10, "succeeded", "pay_1-refund-2"),
                    ReportedRefund("re_0", Money(2000, "RON"), "succeeded"),
                ),
                "status": "succeeded",
            },
            id="charge.refunded-with-all-its-refunds",
        ),
        pytest.param(
            "charge.refunded",
            {**CHARGE, "refunds": {"has_more": True, "data": [refund("succeeded")]}},
            {"kind": "refund.succeeded", "payment_reference": "pi_1", "status": "succeeded"},
            id="charge.refunded-with-some-of-its-refunds",
        ),
        pytest.param(
            "refund.updated",
            refund("succeeded", reason="requested_by_customer"),
            {
                "kind": "refund.succeeded",
                "payment_reference": "pi_1",
                "refund_reference": "re_1",
                "amount": RON_10,
                "status": "succeeded",
                "reason": "requested_by_customer",
            },
            id="refund.updated-succeeded",
        ),
        pytest.param(
            "charge.refund.updated",
            refund("failed", failure_reason="expired_or_canceled_card"),
            {
                "kind": "refund.failed",
                "payment_reference": "pi_1",
                "refund_reference": "re_1",
                "amount": RON_10,
                "status": "failed",
                "reason": "expired_or_canceled_card",
            },
            id="charge.refund.updated-failed",
        ),
        pytest.param(
            "refund.updated",
            refund("canceled"),
            {
                "kind": "refund.failed",
                "payment_reference": "pi_1",
                "refund_reference": "re_1",
                "amount": RON_10,
                "status": "canceled",
            },
            id="refund.updated-canceled",
        ),
        pytest.param(
            "refund.created",
            refund("pending"),
            {
                "kind": "ignored",
                "payment_reference": "pi_1",
                "refund_reference": "re_1",
                "amount": RON_10,
                "status": "pending",
            },
            id="refund.created-pending",
        ),
        *(
            pytest.param(
                f"charge.dispute.{what}",
                dispute(status),
                {
                    "kind": f"dispute.{what}",
                    "payment_reference": "pi_1",
                    "dispute_reference": "dp_1",
                    "amount": RON_49,
                    "status": status,
                    "reason": "fraudulent",
                },
                id=f"charge.dispute.{what}",
            )
            for what, status in [
                ("created", "needs_response"),
                ("updated", "under_review"),
                ("closed", "lost"),
                ("closed", "won"),
                ("funds_withdrawn", "needs_response"),
                ("funds_reinstated", "won"),
            ]
        ),
        pytest.param(
            "charge.dispute.created",
            dispute("warning_needs_response", payment_intent=None, charge=CHARGE),
            {
                "kind": "dispute.created",
                "payment_reference": "pi_1",
                "dispute_reference": "dp_1",
                "amount": RON_49,
                "status": "needs_response",
                "reason": "fraudulent",
            },
            id="dispute-with-the-charge-expanded",
        ),
        pytest.param(
            "charge.dispute.created",
            dispute("needs_response", evidence_details={"due_by": 1723679999}),
            {
                "kind": "dispute.created",
                "payment_reference": "pi_1",
                "dispute_reference": "dp_1",
                "amount": RON_49,
                "status": "needs_response",
                "reason": "fraudulent",
                "respond_by": datetime(2024, 8, 14, 23, 59, 59, tzinfo=UTC),
            },
            id="dispute-with-its-evidence-deadline",
        ),
        pytest.param(
            "charge.dispute.closed",
            dispute("warning_closed", payment_intent=None),
            {
                "kind": "dispute.closed",
                "dispute_reference": "dp_1",
                "amount": RON_49,
                "status": "won",
                "reason": "fraudulent",
            },
            id="dispute-of-a-charge-without-payment-intent",
        ),
        pytest.param(
            "payment_method.updated",
            {
                "id": "pm_1",
                "object": "payment_method",
                "type": "card",
                "customer": "cus_1",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 3, "exp_year": 2031},
            },
            {
                "kind": "payment_method.updated",
                "method_reference": "pm_1",
                "method": SavedMethod(
                    reference="pm_1",
                    kind="card",
                    processor_customer="cus_1",
                    brand="visa",
                    last4="4242",
                    exp_month=3,
                    exp_year=2031,
                ),
            },
            id="payment_method.updated",
        ),
        pytest.param(
            "payment_method.automatically_updated",
            {"id": "pm_1", "object": "payment_method", "type": "card"},
            {
                "kind": "payment_method.updated",
                "method_reference": "pm_1",
                "method": SavedMethod(reference="pm_1", kind="card"),
            },
            id="payment_method.automatically_updated",
        ),
        pytest.param(
            "payment_method.detached",
            {"id": "pm_1", "object": "payment_method", "customer": None},
            {"kind": "payment_method.detached", "method_reference": "pm_1"},
            id="payment_method.detached",
        ),
        pytest.param(
            "invoice.paid",
            {"id": "in_1", "object": "invoice", "amount_paid": 4900, "currency": "ron"},
            {"kind": "ignored"},
            id="anything-else",
        ),
    ],
)
def test_translation(type_: str, obj: dict[str, Any], expected: dict[str, Any]) -> None:
    body = event(type_, obj)
    assert parse(body, sign(body)) == GatewayEvent(
        event_id="evt_1",
        occurred_at=datetime.fromtimestamp(CREATED, UTC),
        processor_type=type_,
        echoes_key=True,  # what Recura makes at Stripe carries its key in the metadata
        data=obj,
        **expected,
    )


def test_the_events_api_version_is_kept() -> None:
    body = json.dumps(
        {
            "id": "evt_1",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "type": "customer.created",
            "created": CREATED,
            "data": {"object": {"id": "cus_1"}},
        }
    ).encode()
    assert parse(body, sign(body)).api_version == "2026-10-28.endive"
    assert parse(BODY, sign(BODY)).api_version is None  # older events may not say


@pytest.mark.parametrize(
    ("amount", "currency", "money"),
    [
        (5000, "jpy", Money(5000, "JPY")),
        (150000, "isk", Money(1500, "ISK")),
        (3, "mga", Money(300, "MGA")),
    ],
)
def test_amounts_come_back_in_recuras_units(amount: int, currency: str, money: Money) -> None:
    body = event("payment_intent.succeeded", intent("succeeded", amount=amount, currency=currency))
    assert parse(body, sign(body)).amount == money


@pytest.mark.parametrize(("amount", "currency"), [(150, "isk"), (100, "usdc")])
def test_an_amount_recura_cannot_book_is_rejected(amount: int, currency: str) -> None:
    body = event(
        "charge.dispute.created", dispute("needs_response", amount=amount, currency=currency)
    )
    with pytest.raises(WebhookRejected, match="evt_1"):
        parse(body, sign(body))
