"""PayPal webhooks: what to send for verification, and what a verified event means.

PayPal signs each notification with its own certificate; rather than fetch and trust
certificates ourselves, the gateway asks PayPal (verify-webhook-signature). This module
holds the parts that need no network: reading the transmission headers, refusing stale
or future transmissions, building the verification request, and translating events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from recura.core.money import Money
from recura.gateways.base import (
    AmountMismatch,
    DisputeStatus,
    GatewayEvent,
    GatewayEventKind,
    WebhookRejected,
)
from recura.gateways.paypal_json import dig, find_link, money, string

# PayPal retries a notification for days, each time freshly signed; a transmission older
# (or, with a wrong clock, newer) than this is a replay of an old request, not a retry.
MAX_TRANSMISSION_SKEW: Final = timedelta(seconds=300)

_HEADERS: Final = {
    "transmission_id": "paypal-transmission-id",
    "transmission_time": "paypal-transmission-time",
    "transmission_sig": "paypal-transmission-sig",
    "cert_url": "paypal-cert-url",
    "auth_algo": "paypal-auth-algo",
}

_KINDS: Final[dict[str, GatewayEventKind]] = {
    "PAYMENT.CAPTURE.COMPLETED": "payment.succeeded",
    "PAYMENT.CAPTURE.DENIED": "payment.failed",
    "PAYMENT.CAPTURE.DECLINED": "payment.failed",
    # The resource of both is a refund; REVERSED is PayPal returning the money to the payer
    # itself (a chargeback or a reversal), which for the books is a refund all the same.
    "PAYMENT.CAPTURE.REFUNDED": "refund.succeeded",
    "PAYMENT.CAPTURE.REVERSED": "refund.succeeded",
    "CUSTOMER.DISPUTE.CREATED": "dispute.created",
    "CUSTOMER.DISPUTE.UPDATED": "dispute.updated",
    "CUSTOMER.DISPUTE.RESOLVED": "dispute.closed",
    "VAULT.PAYMENT-TOKEN.DELETED": "payment_method.detached",
}


# A resolved dispute is won or lost by its outcome; one still open by whose turn it is.
_DISPUTE_OUTCOMES: Final[dict[str, DisputeStatus]] = {
    "RESOLVED_SELLER_FAVOUR": "won",
    "CANCELED_BY_BUYER": "won",
    "DENIED": "won",
    # PayPal paid the buyer from its own pocket: the merchant keeps the money.
    "RESOLVED_WITH_PAYOUT": "won",
    "RESOLVED_BUYER_FAVOUR": "lost",
    "ACCEPTED": "lost",
}
_DISPUTE_OPEN: Final[dict[str, DisputeStatus]] = {
    "OPEN": "needs_response",
    "WAITING_FOR_SELLER_RESPONSE": "needs_response",
}


@dataclass(frozen=True, slots=True)
class Transmission:
    """A notification as received: its headers' values and its body, parsed and raw."""

    headers: Mapping[str, str]
    body_text: str
    event: Mapping[str, Any]


def read_transmission(headers: Mapping[str, str], body: bytes, now: datetime) -> Transmission:
    """Check everything that needs no network; raises WebhookRejected."""
    lowered = {k.lower(): v for k, v in headers.items()}
    values: dict[str, str] = {}
    for field, header in _HEADERS.items():
        value = lowered.get(header)
        if not value:
            raise WebhookRejected(f"missing header {header.upper()}")
        values[field] = value
    sent_at = _timestamp(values["transmission_time"], "PAYPAL-TRANSMISSION-TIME")
    if abs(now - sent_at) > MAX_TRANSMISSION_SKEW:
        raise WebhookRejected(f"transmission time {sent_at.isoformat()} is too far from now")
    try:
        body_text = body.decode("utf-8")
        event = json.loads(body_text)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected("body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookRejected("body is not a JSON object")
    return Transmission(values, body_text, event)


def verification_request(transmission: Transmission, webhook_id: str) -> str:
    """The JSON body for verify-webhook-signature, with the event spliced in verbatim.

    PayPal checks the signature against the event text it receives, so the body goes in
    byte for byte instead of being parsed and dumped again (which may reorder keys, change
    escapes or number formats and make a genuine notification fail).
    """
    envelope = json.dumps({**transmission.headers, "webhook_id": webhook_id})
    return f'{envelope[:-1]}, "webhook_event": {transmission.body_text}}}'


def translate(event: Mapping[str, Any]) -> GatewayEvent:
    """A verified PayPal event as Recura's GatewayEvent; raises WebhookRejected if malformed."""
    event_id = event.get("id")
    event_type = event.get("event_type")
    resource = event.get("resource")
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        raise WebhookRejected("event without id or event_type")
    if not isinstance(resource, dict):
        resource = {}
    occurred_at = _timestamp(event.get("create_time"), "create_time")
    kind = _KINDS.get(event_type, "ignored")
    common: dict[str, Any] = {
        "event_id": event_id,
        "kind": kind,
        "occurred_at": occurred_at,
        "processor_type": event_type,
        "status": string(resource.get("status")),
    }
    if kind == "ignored":
        return GatewayEvent(**common)
    if kind.startswith("payment."):
        details = resource.get("status_details")
        related = dig(resource, "supplementary_data", "related_ids")
        return GatewayEvent(
            **common,
            payment_reference=string(resource.get("id")),
            amount=_money(resource.get("amount")),
            reason=string(details.get("reason")) if isinstance(details, dict) else None,
            # The capture's custom_id is the charge's idempotency key (see `charge`).
            idempotency_key=string(resource.get("custom_id")),
            data=_compact(
                order_id=string(related.get("order_id")), custom_id=resource.get("custom_id")
            ),
        )
    if kind.startswith("refund."):
        return GatewayEvent(
            **common,
            refund_reference=string(resource.get("id")),
            payment_reference=_linked_id(resource, "up", "/captures/"),
            amount=_money(resource.get("amount")),
            reason=string(resource.get("note_to_payer")),
        )
    if kind.startswith("dispute."):
        transactions = resource.get("disputed_transactions")
        first = transactions[0] if isinstance(transactions, list) and transactions else {}
        outcome = dig(resource, "dispute_outcome")
        return GatewayEvent(
            **{**common, "status": _dispute_status(common["status"], outcome.get("outcome_code"))},
            dispute_reference=string(resource.get("dispute_id")),
            payment_reference=string(first.get("seller_transaction_id"))
            if isinstance(first, dict)
            else None,
            amount=_money(resource.get("dispute_amount")),
            reason=string(resource.get("reason")),
            respond_by=_optional_timestamp(resource.get("seller_response_due_date")),
            data=_compact(outcome=outcome.get("outcome_code")),
        )
    return GatewayEvent(**common, method_reference=string(resource.get("id")))


def _dispute_status(status: str | None, outcome: object) -> DisputeStatus:
    if status == "RESOLVED":
        # A resolution PayPal has not named before: the money is gone until someone looks.
        return _DISPUTE_OUTCOMES.get(str(outcome), "lost")
    return _DISPUTE_OPEN.get(str(status), "under_review")


def _timestamp(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise WebhookRejected(f"{what} missing")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WebhookRejected(f"{what} is not a timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise WebhookRejected(f"{what} has no time zone: {value!r}")
    return parsed


def _optional_timestamp(value: object) -> datetime | None:
    """A deadline that may be absent: one that is not a zoned timestamp is left out."""
    try:
        return _timestamp(value, "deadline")
    except WebhookRejected:
        return None


def _money(value: object) -> Money | None:
    try:
        return money(value)
    except AmountMismatch as exc:
        # An amount we cannot represent exactly is not applied as an approximation.
        raise WebhookRejected(str(exc)) from None


def _linked_id(resource: Mapping[str, Any], rel: str, marker: str) -> str | None:
    """The id after `marker` in the `rel` link's URL, e.g. the capture a refund belongs to."""
    href = find_link(resource, rel) or ""
    if marker not in href:
        return None
    return href.rsplit(marker, 1)[1].split("/")[0].split("?")[0] or None


def _compact(**values: object) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not None}
