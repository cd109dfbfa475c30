"""What Recura asks of a payment processor, whichever it is.

A gateway never touches the database of the caller's transaction: the caller records the
attempt and commits before calling, and records the outcome after. A call that may or may
not have reached the processor raises `GatewayTimeout`; the caller then leaves the payment
`unknown` and asks `lookup` later with the same idempotency key, never charging anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from recura.core.money import Money

ChargeStatus = Literal["succeeded", "failed", "requires_action", "pending", "not_found"]
RefundStatus = Literal["succeeded", "failed", "pending"]

# Why a charge failed, in Recura's words; each gateway maps its processor's codes to these.
FAILURE_CODES = frozenset(
    {
        "insufficient_funds",
        "expired_card",
        "card_declined",
        "authentication_required",
        "payment_method_unusable",
        "processing_error",
    }
)


class GatewayError(Exception):
    """The processor refused the request before doing anything: nothing was charged."""


class GatewayTimeout(Exception):
    """No answer: the processor may or may not have done what was asked."""


class AmountMismatch(GatewayError):
    """An amount in the processor's units does not convert back to the invoice's exactly."""


class WebhookRejected(Exception):
    """An inbound webhook whose signature, timestamp or body does not verify."""


@dataclass(frozen=True, slots=True)
class CustomerInfo:
    """Who pays, as much as a processor needs to keep a customer record."""

    customer_id: str
    email: str | None
    name: str | None
    processor_customer: str | None = None  # the processor's id, once it has one


@dataclass(frozen=True, slots=True)
class SetupSession:
    """The start of the processor's hosted or tokenised flow for saving a payment method.

    The subscriber's browser finishes it with the processor (card numbers go there, not
    here); the processor then gives a token that `complete_setup` turns into a method.
    """

    processor_customer: str | None
    client_secret: str | None = None  # Stripe: the SetupIntent's secret for Stripe.js
    approve_url: str | None = None  # PayPal: where the subscriber approves the vaulting
    reference: str | None = None  # the processor's id for this setup
    test_tokens: tuple[str, ...] = ()  # sandbox: the tokens that can be used


@dataclass(frozen=True, slots=True)
class SavedMethod:
    """A payment method the processor keeps for us; we keep only what identifies it."""

    reference: str  # the processor's id for it: charge with this
    kind: Literal["card", "paypal", "sandbox"]
    processor_customer: str | None = None
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    """An off-session charge. The key is derived from (invoice, attempt) by the caller, so
    asking twice — after a timeout, a crash, a retry — can only ever charge once."""

    amount: Money
    idempotency_key: str
    method: str  # SavedMethod.reference
    processor_customer: str | None
    description: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChargeResult:
    status: ChargeStatus
    reference: str | None = None  # the processor's payment id
    amount: Money | None = None  # what the processor says it charged, in our units
    failure_code: str | None = None  # one of FAILURE_CODES
    failure_message: str | None = None
    action_url: str | None = None  # requires_action: where the customer confirms
    # requires_action at Stripe: the PaymentIntent's secret, for Stripe.js to take the
    # customer through the action on our page. Handed to that customer's browser only,
    # never stored or logged.
    client_secret: str | None = None


@dataclass(frozen=True, slots=True)
class RefundRequest:
    payment_reference: str
    amount: Money
    idempotency_key: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    status: RefundStatus
    reference: str | None = None
    amount: Money | None = None
    failure_message: str | None = None


DisputeStatus = Literal["needs_response", "under_review", "won", "lost"]
DISPUTE_STATUSES: tuple[DisputeStatus, ...] = ("needs_response", "under_review", "won", "lost")

GatewayEventKind = Literal[
    "payment.succeeded",
    "payment.failed",
    "payment.processing",
    "payment.requires_action",
    "refund.succeeded",
    "refund.failed",
    "dispute.created",
    "dispute.updated",
    "dispute.closed",
    "dispute.funds_withdrawn",
    "dispute.funds_reinstated",
    "payment_method.saved",
    "payment_method.setup_failed",
    "payment_method.updated",
    "payment_method.detached",
    "ignored",
]


@dataclass(frozen=True, slots=True)
class ReportedRefund:
    """One refund of a payment as the processor reports it, keyed by its id."""

    reference: str
    amount: Money | None
    status: str | None
    idempotency_key: str | None = None  # Recura's key, when the refund was made here


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """An inbound webhook, verified and translated.

    `event_id` is the processor's (the dedupe key: each is applied once); `occurred_at` is
    when the processor says the change happened, so an older event arriving late never
    rolls newer state back.
    """

    event_id: str
    kind: GatewayEventKind
    occurred_at: datetime
    processor_type: str  # the processor's own name for the event, for the log
    payment_reference: str | None = None
    refund_reference: str | None = None
    dispute_reference: str | None = None
    method_reference: str | None = None
    # Recura's key of the charge or refund, when the processor echoes it back: a webhook
    # may arrive before the answer that tells us the processor's reference.
    idempotency_key: str | None = None
    # The processor keeps Recura's key on whatever Recura made (Stripe's metadata): an
    # object without one was made elsewhere, however much it looks like one of ours.
    echoes_key: bool = False
    amount: Money | None = None
    # Every refund of the payment, when the event is about all of them (Stripe's
    # charge.refunded): each is applied as if it had come in an event of its own.
    refunds: tuple[ReportedRefund, ...] = ()
    # The object's status at the processor as it said it; for disputes, Recura's word for
    # it (DisputeStatus), since each processor names the stages differently.
    status: str | None = None
    reason: str | None = None
    # A dispute's deadline for the merchant's evidence, when the processor says it.
    respond_by: datetime | None = None
    method: SavedMethod | None = None  # payment_method.updated/saved: the card as it is now
    customer_reference: str | None = None  # payment_method.saved: Recura's customer id
    action_url: str | None = None  # payment.requires_action: where the customer confirms
    # The processor's API version the event's objects are written in, when it says.
    api_version: str | None = None
    data: Mapping[str, object] = field(default_factory=dict)


class PaymentGateway(Protocol):
    """One processor, configured for one account (and test or live mode)."""

    name: str

    def start_setup(self, customer: CustomerInfo, return_url: str | None, key: str) -> SetupSession:
        """`key` is Recura's for this setup: a processor that takes one (PayPal's
        PayPal-Request-Id) gives the same setup back when the start is retried."""
        ...

    def complete_setup(self, customer: CustomerInfo, token: str) -> SavedMethod: ...

    def detach(self, method: SavedMethod) -> None: ...

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Raises GatewayTimeout when the outcome is unknown, GatewayError when refused."""
        ...

    def lookup(self, idempotency_key: str, reference: str | None) -> ChargeResult:
        """The charge's real status at the processor; `not_found` if it never arrived."""
        ...

    def cancel(self, reference: str) -> ChargeResult:
        """Abandon a charge still waiting for the customer (3-D Secure, a payer's approval),
        so that finishing it later moves no money: `failed` (code `canceled`) once
        abandoned, `succeeded` when the customer finished it first. Raises GatewayTimeout
        or GatewayError when the processor could not say."""
        ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, now: datetime) -> GatewayEvent:
        """Verify and translate; raises WebhookRejected."""
        ...
