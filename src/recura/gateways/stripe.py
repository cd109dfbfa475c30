"""Stripe, through the official SDK: cards saved with SetupIntents, charged off-session.

Every Stripe call goes through one `StripeClient` owned by the gateway (never the SDK's
global `stripe.api_key`), so gateways for different accounts, and the tests' local Stripe
server, never share configuration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Final, Literal

import stripe
from stripe.params import (
    CustomerCreateParams,
    PaymentIntentCreateParams,
    RefundCreateParams,
)

from recura.core.money import CurrencyError, Money
from recura.gateways.base import (
    AmountMismatch,
    ChargeRequest,
    ChargeResult,
    CustomerInfo,
    GatewayError,
    GatewayEvent,
    GatewayTimeout,
    RefundRequest,
    RefundResult,
    RefundStatus,
    SavedMethod,
    SetupSession,
)
from recura.gateways.stripe_amounts import from_stripe, to_stripe
from recura.gateways.stripe_failures import failure_code
from recura.gateways.stripe_webhooks import (
    KEY_METADATA,
    action_url,
    expandable_id,
    reported_refunds,
    saved_card,
    translate,
    verify,
)

# The Stripe API version Recura is written against: every request says it (Stripe-Version),
# so objects come back in the shape this code reads whatever the account's default version
# is. Webhook events come in the version of their endpoint; each event's is kept with it.
API_VERSION: Final = "2026-10-28.endive"
# What Recura saves at Stripe (complete_setup refuses anything else), and so the only type
# an off-session payment may use: no method that needs a redirect, which nobody is there for.
SAVED_METHOD_TYPES: Final = ["card"]

# Stripe's error code for a 3-D Secure challenge the customer did not pass.
CHALLENGE_FAILED: Final = "payment_intent_authentication_failure"

_RefundReason = Literal["duplicate", "fraudulent", "requested_by_customer"]
_REFUND_REASONS: Final[dict[str, _RefundReason]] = {
    "duplicate": "duplicate",
    "fraudulent": "fraudulent",
    "requested_by_customer": "requested_by_customer",
}
_REFUND_STATUS: Final[dict[str, RefundStatus]] = {
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
}


class StripeGateway:
    """`PaymentGateway` for one Stripe account (its secret key and webhook endpoint)."""

    name = "stripe"

    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        api_base: str | None = None,
        timeout_seconds: float = 30,
    ) -> None:
        self._webhook_secret = webhook_secret
        self._client = stripe.StripeClient(
            api_key,
            stripe_version=API_VERSION,
            base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
            # Retrying is safe: every POST carries an idempotency key.
            max_network_retries=2,
        )

    def start_setup(self, customer: CustomerInfo, return_url: str | None, key: str) -> SetupSession:
        # return_url is not Stripe's to keep here: Stripe.js takes it when it confirms.
        try:
            processor_customer = customer.processor_customer or self._create_customer(customer)
            setup = self._client.v1.setup_intents.create(
                {
                    "customer": processor_customer,
                    "usage": "off_session",
                    # The payment element then offers only what complete_setup accepts.
                    "allowed_payment_method_types": SAVED_METHOD_TYPES,
                    "metadata": {"recura_customer": customer.customer_id},
                }
            )
        except stripe.StripeError as exc:
            raise _failure(exc, "starting the card setup") from exc
        return SetupSession(
            processor_customer=processor_customer,
            client_secret=setup.client_secret,
            reference=setup.id,
        )

    def _create_customer(self, customer: CustomerInfo) -> str:
        params: CustomerCreateParams = {"metadata": {"recura_customer": customer.customer_id}}
        if customer.email:
            params["email"] = customer.email
        if customer.name:
            params["name"] = customer.name
        # A retry after a failure further on (the SetupIntent) gets the same Stripe customer
        # back for Stripe's 24 hours instead of a duplicate; new details make a new key.
        details = f"{customer.email}\0{customer.name}".encode()
        key = f"recura-customer-{customer.customer_id}-{hashlib.sha256(details).hexdigest()[:16]}"
        return self._client.v1.customers.create(params, {"idempotency_key": key}).id

    def complete_setup(self, customer: CustomerInfo, token: str) -> SavedMethod:
        owner = customer.processor_customer
        try:
            if token.startswith("seti_"):
                setup = self._client.v1.setup_intents.retrieve(token).to_dict()
                if setup.get("status") != "succeeded":
                    raise GatewayError(f"SetupIntent {token} is {setup.get('status')}")
                method_id = expandable_id(setup.get("payment_method"))
                owner = owner or expandable_id(setup.get("customer"))
            elif token.startswith("pm_"):
                method_id = token
            else:
                raise GatewayError(f"not a PaymentMethod or SetupIntent id: {token!r}")
            if method_id is None or owner is None:
                raise GatewayError(f"{token} names no payment method or no Stripe customer")
            method = self._client.v1.payment_methods.retrieve(method_id).to_dict()
            if method.get("type") != "card":
                raise GatewayError(f"{method_id} is a {method.get('type')}, not a card")
            attached_to = expandable_id(method.get("customer"))
            if attached_to is None:
                method = self._client.v1.payment_methods.attach(
                    method_id, {"customer": owner}
                ).to_dict()
            elif attached_to != owner:
                raise GatewayError(f"{method_id} belongs to another Stripe customer")
        except stripe.StripeError as exc:
            raise _failure(exc, "saving the card") from exc
        saved = saved_card(method, owner)
        assert saved is not None  # Stripe's answer names the method
        return saved

    def detach(self, method: SavedMethod) -> None:
        methods = self._client.v1.payment_methods
        try:
            try:
                methods.detach(method.reference)
            except stripe.InvalidRequestError as exc:
                # Stripe refuses to detach twice; not attached is what was wanted.
                if exc.http_status == 404:
                    return
                if methods.retrieve(method.reference).to_dict().get("customer") is not None:
                    raise
        except stripe.StripeError as exc:
            raise _failure(exc, "detaching the card") from exc

    def charge(self, request: ChargeRequest) -> ChargeResult:
        amount, currency = to_stripe(request.amount)
        if amount <= 0:
            raise GatewayError(f"cannot charge {request.amount}: not a positive amount")
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": currency,
            "payment_method": request.method,
            # Under the pinned version (payment_method_types before 2026): without it Stripe
            # would offer the account's automatic methods, some needing a redirect.
            "allowed_payment_method_types": SAVED_METHOD_TYPES,
            "confirm": True,
            "off_session": True,
            "description": request.description,
            "metadata": {**request.metadata, KEY_METADATA: request.idempotency_key},
        }
        if request.processor_customer:
            params["customer"] = request.processor_customer
        try:
            intent = self._client.v1.payment_intents.create(
                params, {"idempotency_key": request.idempotency_key}
            )
        except stripe.CardError as exc:
            result = self._declined(exc)
        except stripe.StripeError as exc:
            raise _failure(exc, "creating the payment") from exc
        else:
            result = _charge_result(intent.to_dict())
        if result.amount is not None and result.amount != request.amount:
            # Something was done, but not what was asked: only a reconciliation can say what.
            raise GatewayTimeout(
                f"Stripe reports {result.amount} for {result.reference}, asked {request.amount}"
            )
        return result

    def _declined(self, exc: stripe.CardError) -> ChargeResult:
        error = _error_body(exc)
        intent = error.get("payment_intent")
        code = failure_code(error.get("decline_code"), error.get("code"))
        if isinstance(intent, dict):
            reference, amount = intent.get("id"), _reported_amount(intent)
        else:
            reference, amount = self._intent_of_charge(error.get("charge")), None
        action = code == "authentication_required"
        return ChargeResult(
            status="requires_action" if action else "failed",
            reference=reference,
            amount=amount,
            failure_code=code,
            failure_message=error.get("message") or exc.user_message,
            client_secret=_secret(intent) if action else None,
        )

    def _intent_of_charge(self, charge_id: object) -> str | None:
        """The payment of a declined charge, when the error names only the charge."""
        if not isinstance(charge_id, str):
            return None
        try:
            charge = self._client.v1.charges.retrieve(charge_id).to_dict()
        except stripe.StripeError:
            return None  # the decline stands; only its reference is missing
        return expandable_id(charge.get("payment_intent"))

    def lookup(self, idempotency_key: str, reference: str | None) -> ChargeResult:
        try:
            if reference is None:
                found = self._find_by_key(idempotency_key)
                if found is None:
                    return ChargeResult(status="not_found")
            else:
                try:
                    found = self._client.v1.payment_intents.retrieve(reference).to_dict()
                except stripe.InvalidRequestError as exc:
                    if exc.http_status == 404:
                        return ChargeResult(status="not_found", reference=reference)
                    raise
                key = (found.get("metadata") or {}).get(KEY_METADATA)
                if key is not None and key != idempotency_key:
                    raise GatewayError(f"{reference} was made for key {key!r}, not this one")
        except stripe.StripeError as exc:
            raise _failure(exc, "looking up the payment") from exc
        return _charge_result(found)

    def cancel(self, reference: str) -> ChargeResult:
        try:
            try:
                found = self._client.v1.payment_intents.cancel(reference).to_dict()
            except stripe.InvalidRequestError as exc:
                if exc.code != "payment_intent_unexpected_state":
                    raise
                # Settled meanwhile (the customer finished the challenge): as it stands.
                found = self._client.v1.payment_intents.retrieve(reference).to_dict()
        except stripe.StripeError as exc:
            raise _failure(exc, "canceling the payment") from exc
        return _charge_result(found)

    def _find_by_key(self, idempotency_key: str) -> dict[str, Any] | None:
        # Listing, not the Search API: search is eventually consistent (up to a minute, more
        # in an outage), and a payment created just before a timeout is the one being asked
        # about; a "not_found" that is not true would charge twice. Lists are strongly
        # consistent and newest first, so a recent payment is on the first page.
        page = self._client.v1.payment_intents.list({"limit": 100})
        for intent in page.auto_paging_iter():
            data = intent.to_dict()
            if (data.get("metadata") or {}).get(KEY_METADATA) == idempotency_key:
                return data
        return None

    def refund(self, request: RefundRequest) -> RefundResult:
        amount, _ = to_stripe(request.amount)
        if amount <= 0:
            raise GatewayError(f"cannot refund {request.amount}: not a positive amount")
        metadata = {KEY_METADATA: request.idempotency_key}
        params: RefundCreateParams = {
            "payment_intent": request.payment_reference,
            "amount": amount,
            "metadata": metadata,
        }
        reason = _REFUND_REASONS.get(request.reason or "")
        if reason is not None:
            params["reason"] = reason
        elif request.reason:
            # Stripe's reason is one of three words; anything else is kept for the operator.
            metadata["recura_reason"] = request.reason[:500]
        try:
            # A refund has no currency of its own: Stripe reads the amount in the payment's.
            intent = self._client.v1.payment_intents.retrieve(request.payment_reference)
            if intent.currency.upper() != request.amount.currency:
                raise GatewayError(
                    f"{request.payment_reference} is in {intent.currency.upper()}, "
                    f"the refund in {request.amount.currency}"
                )
            refund = self._client.v1.refunds.create(
                params, {"idempotency_key": request.idempotency_key}
            ).to_dict()
        except stripe.StripeError as exc:
            raise _failure(exc, "creating the refund") from exc
        refunded = _reported_amount(refund)
        if refunded != request.amount:
            raise GatewayTimeout(
                f"Stripe reports {refunded} for {refund.get('id')}, asked {request.amount}"
            )
        status = refund.get("status")
        return RefundResult(
            status=_REFUND_STATUS.get(str(status), "pending"),
            reference=refund.get("id"),
            amount=refunded,
            failure_message=refund.get("failure_reason"),
        )

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, now: datetime) -> GatewayEvent:
        event = translate(verify(headers, body, self._webhook_secret, now))
        try:
            return self._completed(event)
        except stripe.StripeError as exc:
            # Stripe delivers the event again until it is answered with a 2xx.
            raise GatewayTimeout(f"could not read {event.processor_type}'s objects: {exc}") from exc

    def _completed(self, event: GatewayEvent) -> GatewayEvent:
        """What the event leaves out, read from Stripe: the refunds of a refunded charge (by
        their ids) and the card a SetupIntent saved."""
        if event.processor_type == "charge.refunded" and not event.refunds:
            if event.payment_reference is None:
                return event
            listed = self._client.v1.refunds.list(
                {"payment_intent": event.payment_reference, "limit": 100}
            )
            found = [refund.to_dict() for refund in listed.auto_paging_iter()]
            return replace(event, refunds=reported_refunds(found))
        if event.kind == "payment_method.saved" and event.method_reference:
            method = self._client.v1.payment_methods.retrieve(event.method_reference).to_dict()
            if method.get("type") not in SAVED_METHOD_TYPES:
                return replace(event, kind="ignored")
            owner = expandable_id(event.data.get("customer"))
            return replace(event, method=saved_card(method, owner))
        return event


def _charge_result(intent: Mapping[str, Any]) -> ChargeResult:
    status = intent.get("status")
    reference, amount = intent.get("id"), _reported_amount(intent)
    if status == "succeeded":
        return ChargeResult(status="succeeded", reference=reference, amount=amount)
    if status in ("processing", "requires_capture"):
        return ChargeResult(status="pending", reference=reference, amount=amount)
    if status == "requires_action":
        return ChargeResult(
            status="requires_action",
            reference=reference,
            amount=amount,
            failure_code="authentication_required",
            failure_message="the customer has to confirm the payment",
            action_url=action_url(intent.get("next_action")),
            client_secret=_secret(intent),
        )
    # requires_payment_method after a decline, canceled, or never confirmed: no money moved.
    error = intent.get("last_payment_error") or {}
    code = failure_code(error.get("decline_code"), error.get("code")) if error else None
    message = error.get("message") or f"PaymentIntent is {status}"
    if intent.get("cancellation_reason"):
        message += f" ({intent['cancellation_reason']})"
    # Waiting for the customer until they have tried: a challenge they failed (or
    # abandoned) ends the attempt, though Stripe would let it be confirmed again.
    failed_challenge = error.get("code") == CHALLENGE_FAILED
    canceled = status == "canceled"
    action = code == "authentication_required" and not failed_challenge and not canceled
    return ChargeResult(
        status="requires_action" if action else "failed",
        reference=reference,
        amount=amount,
        failure_code="canceled" if canceled else code or "processing_error",
        failure_message=message,
        # Off-session, Stripe declines a card that needs 3-D Secure; the customer, back on
        # the page, confirms the same PaymentIntent with Stripe.js.
        client_secret=_secret(intent) if action else None,
    )


def _secret(intent: object) -> str | None:
    found = intent.get("client_secret") if isinstance(intent, Mapping) else None
    return found if isinstance(found, str) else None


def _reported_amount(obj: Mapping[str, Any]) -> Money:
    try:
        return from_stripe(int(obj["amount"]), str(obj["currency"]))
    except (KeyError, TypeError, ValueError, AmountMismatch, CurrencyError) as exc:
        # Stripe answered, but not in terms Recura can book: treat it as no answer.
        raise GatewayTimeout(f"unusable amount from Stripe for {obj.get('id')}: {exc}") from exc


def _failure(exc: stripe.StripeError, doing: str) -> Exception:
    """Connection failures and Stripe-side errors (5xx, 409 in-flight) leave the outcome
    unknown; everything else Stripe refused before acting."""
    message = exc.user_message or str(exc)
    if isinstance(exc, stripe.APIConnectionError | stripe.APIError):
        return GatewayTimeout(f"no usable answer from Stripe while {doing}: {message}")
    if isinstance(exc, stripe.CardError):
        code = failure_code(_error_body(exc).get("decline_code"), exc.code)
        return GatewayError(f"card declined while {doing} ({code}): {message}")
    return GatewayError(f"Stripe refused {doing}: {message} ({exc.code or exc.http_status})")


def _error_body(exc: stripe.StripeError) -> dict[str, Any]:
    body = exc.json_body
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}
