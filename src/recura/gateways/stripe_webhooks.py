"""Stripe webhooks: the signature check and the translation into GatewayEvent.

The signature is checked here rather than with `stripe.Webhook.construct_event`: the SDK
reads the wall clock and only refuses timestamps that are too old, while Recura injects the
time and refuses a timestamp too far in the future as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from recura.core.money import CurrencyError, Money
from recura.gateways.base import (
    AmountMismatch,
    DisputeStatus,
    GatewayEvent,
    GatewayEventKind,
    ReportedRefund,
    SavedMethod,
    WebhookRejected,
)
from recura.gateways.stripe_amounts import from_stripe
from recura.gateways.stripe_failures import failure_code

TOLERANCE_SECONDS: Final = 300

# Where the caller's idempotency key is kept on a PaymentIntent or Refund, so `lookup` and
# the webhooks can find one whose creation timed out before Stripe's answer named it.
KEY_METADATA: Final = "recura_key"

# Stripe's dispute stages in Recura's words. An inquiry (warning_*) that closes without a
# chargeback, or one prevented, leaves the merchant the money: won, for the books.
_DISPUTE_STATUS: Final[dict[str, DisputeStatus]] = {
    "warning_needs_response": "needs_response",
    "needs_response": "needs_response",
    "warning_under_review": "under_review",
    "under_review": "under_review",
    "won": "won",
    "warning_closed": "won",
    "prevented": "won",
    "lost": "lost",
}

_DISPUTES: Final[dict[str, GatewayEventKind]] = {
    "charge.dispute.created": "dispute.created",
    "charge.dispute.updated": "dispute.updated",
    "charge.dispute.closed": "dispute.closed",
    "charge.dispute.funds_withdrawn": "dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated": "dispute.funds_reinstated",
}
_PAYMENTS: Final[dict[str, GatewayEventKind]] = {
    "payment_intent.succeeded": "payment.succeeded",
    "payment_intent.payment_failed": "payment.failed",
    # Canceled (by the merchant, or by Stripe after an unanswered challenge): nothing moved.
    "payment_intent.canceled": "payment.failed",
    "payment_intent.processing": "payment.processing",
    "payment_intent.requires_action": "payment.requires_action",
}
_SETUPS: Final[dict[str, GatewayEventKind]] = {
    "setup_intent.succeeded": "payment_method.saved",
    "setup_intent.setup_failed": "payment_method.setup_failed",
}
_METHODS: Final[dict[str, GatewayEventKind]] = {
    "payment_method.updated": "payment_method.updated",
    # Stripe's card updater changed the card, not the customer: the same to us.
    "payment_method.automatically_updated": "payment_method.updated",
    "payment_method.detached": "payment_method.detached",
}
_REFUND_OBJECT_EVENTS: Final = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)


def verify(headers: Mapping[str, str], body: bytes, secret: str, now: datetime) -> dict[str, Any]:
    """The event in `body` if its Stripe-Signature is valid and recent; else WebhookRejected."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    header = _header(headers, "Stripe-Signature")
    if header is None:
        raise WebhookRejected("missing Stripe-Signature header")
    timestamp, signatures = _parse_signature_header(header)
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    digest = expected.hexdigest().encode()
    # Every candidate is compared, so the time taken says nothing about which one matched.
    matches = [hmac.compare_digest(digest, candidate) for candidate in signatures]
    if not any(matches):
        raise WebhookRejected("Stripe-Signature does not match the body and the secret")
    age = int(now.timestamp()) - timestamp
    if age > TOLERANCE_SECONDS:
        raise WebhookRejected(f"timestamp is {age} s old, more than {TOLERANCE_SECONDS} s")
    if -age > TOLERANCE_SECONDS:
        raise WebhookRejected(f"timestamp is {-age} s in the future, beyond {TOLERANCE_SECONDS} s")
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WebhookRejected("body is not JSON") from None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created"), int)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise WebhookRejected("body is not a Stripe event (id, type, created, data.object)")
    return event


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _parse_signature_header(header: str) -> tuple[int, list[bytes]]:
    timestamps: list[str] = []
    signatures: list[bytes] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            # compare_digest wants ASCII; anything else can never match a hex digest.
            signatures.append(value.encode("ascii", "replace"))
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        raise WebhookRejected("Stripe-Signature needs exactly one numeric t= timestamp")
    if not signatures:
        raise WebhookRejected("Stripe-Signature has no v1= signature")
    return int(timestamps[0]), signatures


def translate(event: Mapping[str, Any]) -> GatewayEvent:
    """A verified Stripe event in Recura's words; amounts converted back from Stripe units."""
    kind_of = event["type"]
    obj: dict[str, Any] = event["data"]["object"]
    version = event.get("api_version")
    base: dict[str, Any] = {
        "echoes_key": True,
        "event_id": event["id"],
        "occurred_at": datetime.fromtimestamp(event["created"], UTC),
        "processor_type": kind_of,
        "api_version": version if isinstance(version, str) else None,
        "data": obj,
    }
    translator = _TRANSLATORS.get(kind_of)
    if translator is None:
        return GatewayEvent(kind="ignored", **base)
    try:
        return GatewayEvent(**base, **translator(kind_of, obj))
    except (AmountMismatch, CurrencyError) as exc:
        raise WebhookRejected(f"{kind_of} {event['id']}: {exc}") from exc


def _money(obj: Mapping[str, Any], field: str = "amount") -> Money | None:
    amount, currency = obj.get(field), obj.get("currency")
    if not isinstance(amount, int) or not isinstance(currency, str):
        return None
    return from_stripe(amount, currency)


def expandable_id(value: object) -> str | None:
    """An expandable field: Stripe sends either the id or the whole object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _key(obj: Mapping[str, Any]) -> str | None:
    key = (obj.get("metadata") or {}).get(KEY_METADATA)
    return key if isinstance(key, str) else None


def _payment_intent(kind_of: str, obj: dict[str, Any]) -> dict[str, Any]:
    kind = _PAYMENTS[kind_of]
    error = obj.get("last_payment_error")
    reason = None
    if kind == "payment.failed" and isinstance(error, dict):
        reason = failure_code(error.get("decline_code"), error.get("code"))
    elif kind_of == "payment_intent.canceled":
        reason = "processing_error"
    elif kind == "payment.requires_action":
        reason = "authentication_required"
    return {
        "kind": kind,
        "payment_reference": obj.get("id"),
        "idempotency_key": _key(obj),
        "method_reference": expandable_id(obj.get("payment_method")),
        "amount": _money(obj),
        "status": obj.get("status"),
        "reason": reason,
        "action_url": action_url(obj.get("next_action")),
    }


def _charge_refunded(kind_of: str, charge: dict[str, Any]) -> dict[str, Any]:
    # The charge carries its refunds only on API versions before 2022-11-15; otherwise
    # (has_more, or no list) the gateway lists them at Stripe: by their ids, never by the
    # total refunded, which cannot tell one refund from another.
    listed = charge.get("refunds")
    refunds: tuple[ReportedRefund, ...] = ()
    if isinstance(listed, dict) and listed.get("has_more") is False:
        refunds = reported_refunds(listed.get("data") or [])
    return {
        "kind": "refund.succeeded",
        "payment_reference": expandable_id(charge.get("payment_intent")),
        "refunds": refunds,
        "status": charge.get("status"),
    }


def reported_refunds(refunds: list[Any]) -> tuple[ReportedRefund, ...]:
    return tuple(
        ReportedRefund(
            reference=refund["id"],
            amount=_money(refund),
            status=refund.get("status"),
            idempotency_key=_key(refund),
        )
        for refund in refunds
        if isinstance(refund, dict) and isinstance(refund.get("id"), str)
    )


def action_url(next_action: object) -> str | None:
    """Where the customer confirms a payment that needs them (3-D Secure)."""
    if isinstance(next_action, dict) and next_action.get("type") == "redirect_to_url":
        url = (next_action.get("redirect_to_url") or {}).get("url")
        return url if isinstance(url, str) else None
    return None


def _refund(kind_of: str, refund: dict[str, Any]) -> dict[str, Any]:
    status = refund.get("status")
    kind: GatewayEventKind = "ignored"
    if kind_of == "refund.failed" or status in ("failed", "canceled"):
        kind = "refund.failed"
    elif status == "succeeded":
        kind = "refund.succeeded"
    return {
        "kind": kind,
        "payment_reference": expandable_id(refund.get("payment_intent")),
        "refund_reference": refund.get("id"),
        "idempotency_key": _key(refund),
        "amount": _money(refund),
        "status": status,
        "reason": refund.get("failure_reason") or refund.get("reason"),
    }


def _dispute(kind_of: str, dispute: dict[str, Any]) -> dict[str, Any]:
    charge = dispute.get("charge")
    intent = dispute.get("payment_intent")
    if intent is None and isinstance(charge, dict):
        intent = charge.get("payment_intent")
    return {
        "kind": _DISPUTES[kind_of],
        "payment_reference": expandable_id(intent),
        "dispute_reference": dispute.get("id"),
        "amount": _money(dispute),
        "status": _DISPUTE_STATUS.get(str(dispute.get("status")), "under_review"),
        "reason": dispute.get("reason"),
        "respond_by": _due_by(dispute.get("evidence_details")),
    }


def _due_by(details: object) -> datetime | None:
    """When the evidence is due (`evidence_details.due_by`, seconds since the epoch)."""
    due = details.get("due_by") if isinstance(details, dict) else None
    if isinstance(due, int) and not isinstance(due, bool) and 0 < due < 2**40:
        return datetime.fromtimestamp(due, UTC)
    return None


def _method(kind_of: str, method: dict[str, Any]) -> dict[str, Any]:
    kind = _METHODS[kind_of]
    saved = saved_card(method, None) if kind == "payment_method.updated" else None
    return {"kind": kind, "method_reference": method.get("id"), "method": saved}


def _setup(kind_of: str, setup: dict[str, Any]) -> dict[str, Any]:
    # The card's details are not in the event: the gateway reads them (`method`).
    error = setup.get("last_setup_error")
    return {
        "kind": _SETUPS[kind_of],
        "method_reference": expandable_id(setup.get("payment_method")),
        "customer_reference": (setup.get("metadata") or {}).get("recura_customer"),
        "status": setup.get("status"),
        "reason": error.get("code") or error.get("message") if isinstance(error, dict) else None,
    }


def saved_card(method: Mapping[str, Any], owner: str | None) -> SavedMethod | None:
    """A card PaymentMethod as Recura keeps it; None for one without an id."""
    if not isinstance(method.get("id"), str):
        return None
    card = method.get("card") or {}
    return SavedMethod(
        reference=method["id"],
        kind="card",
        processor_customer=owner or expandable_id(method.get("customer")),
        brand=card.get("brand"),
        last4=card.get("last4"),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
        email=(method.get("billing_details") or {}).get("email"),
    )


_TRANSLATORS: Final[dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]]] = {
    **dict.fromkeys(_PAYMENTS, _payment_intent),
    **dict.fromkeys(_SETUPS, _setup),
    "charge.refunded": _charge_refunded,
    **dict.fromkeys(_REFUND_OBJECT_EVENTS, _refund),
    **dict.fromkeys(_DISPUTES, _dispute),
    **dict.fromkeys(_METHODS, _method),
}
