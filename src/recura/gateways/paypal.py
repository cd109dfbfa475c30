"""PayPal: vaulted PayPal wallets (Vault v3) charged off-session with Orders v2.

A subscriber approves the vaulting once at PayPal (`start_setup` → approve link →
`complete_setup`); after that every renewal is one POST /v2/checkout/orders with the
payment token as `vault_id`, which PayPal creates and captures in the same call.

The payment reference Recura keeps is the *capture* id: refunds, GET /v2/payments/captures
and the PAYMENT.CAPTURE.* webhooks all name the capture, never the order. Outcomes with no
capture (payer action required, a refusal) carry no reference; `lookup` then finds them by
the idempotency key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.customer import Customer
from paypalserversdk.models.money import Money as PayPalMoney
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.payment_source import PaymentSource
from paypalserversdk.models.payment_token_request import PaymentTokenRequest
from paypalserversdk.models.payment_token_request_payment_source import (
    PaymentTokenRequestPaymentSource,
)
from paypalserversdk.models.paypal_wallet import PaypalWallet
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest as PayPalRefundRequest
from paypalserversdk.models.setup_token_request import SetupTokenRequest
from paypalserversdk.models.setup_token_request_payment_source import (
    SetupTokenRequestPaymentSource,
)
from paypalserversdk.models.vault_experience_context import VaultExperienceContext
from paypalserversdk.models.vault_paypal_wallet_request import VaultPaypalWalletRequest
from paypalserversdk.models.vault_token_request import VaultTokenRequest

from recura.core.money import Money
from recura.gateways.base import (
    AmountMismatch,
    ChargeRequest,
    ChargeResult,
    CustomerInfo,
    GatewayError,
    GatewayEvent,
    RefundRequest,
    RefundResult,
    SavedMethod,
    SetupSession,
    WebhookRejected,
)
from recura.gateways.paypal_amounts import to_paypal_value
from recura.gateways.paypal_json import dig, find_link, money, string
from recura.gateways.paypal_orders import (
    LOOKUP_PROBE_ID,
    ReportedAmountMismatch,
    capture_result,
    declined_result,
    first_capture,
    is_lookup_probe,
)
from recura.gateways.paypal_sdk import (
    LIVE_API_BASE,
    PayPalApi,
    PayPalError,
    PayPalFailure,
    failure_of,
    raise_failure,
)
from recura.gateways.paypal_webhooks import read_transmission, translate, verification_request

__all__ = ["PayPalGateway", "ReportedAmountMismatch"]

# PayPal-Request-Id takes at most 108 characters; longer keys are hashed, which keeps
# them deterministic (the same key always maps to the same PayPal-Request-Id).
_MAX_REQUEST_ID: Final = 108
_MAX_DESCRIPTION: Final = 127
_REPRESENTATION: Final = "return=representation"

# A 422 to a refund is PayPal's decision about this capture (already refunded, amount
# exceeded, too old, disputed): reported as a failed refund rather than raised.
_REFUSED: Final = 422


class PayPalGateway:
    """PayPal for one merchant app (client id/secret) and one webhook subscription.

    `api_base` is PayPal's live API unless given: the sandbox (`SANDBOX_API_BASE` in
    `paypal_sdk`) or a local test server. The OAuth token is the SDK's, fetched once and
    reused until shortly before it expires.
    """

    name = "paypal"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        webhook_id: str,
        api_base: str | None = None,
        timeout_seconds: float = 30,
    ) -> None:
        self._webhook_id = webhook_id
        self._api = PayPalApi(client_id, client_secret, api_base or LIVE_API_BASE, timeout_seconds)
        self._client = self._api.client

    # -- saving a PayPal wallet ----------------------------------------------------------

    def start_setup(self, customer: CustomerInfo, return_url: str | None, key: str) -> SetupSession:
        """A Vault v3 setup token for a PayPal wallet; the subscriber approves it at PayPal.

        PayPal then sends the subscriber to `return_url` with `approval_token_id`, the
        setup token's id (also `SetupSession.reference`), which `complete_setup` takes.
        """
        if not return_url:
            raise GatewayError("PayPal needs a return URL to send the subscriber back to")
        body = SetupTokenRequest(
            payment_source=SetupTokenRequestPaymentSource(
                paypal=VaultPaypalWalletRequest(
                    # MERCHANT: Recura charges later without the payer present.
                    usage_type="MERCHANT",
                    customer_type="CONSUMER",
                    permit_multiple_payment_tokens=False,
                    experience_context=VaultExperienceContext(
                        return_url=return_url,
                        cancel_url=_with_query(return_url, "paypal", "cancelled"),
                        shipping_preference="NO_SHIPPING",
                        vault_instruction="ON_CREATE_PAYMENT_TOKENS",
                    ),
                )
            ),
        )
        if customer.processor_customer:
            body.customer = Customer(id=customer.processor_customer)
        # PayPal requires the header here: a retried start gets the same setup token back.
        token = self._send(
            self._client.vault.create_setup_token,
            {"body": body, "paypal_request_id": _request_id(key)},
        )
        approve = find_link(token, "approve")
        if not approve:
            raise GatewayError(f"PayPal gave no approve link for setup token {token.get('id')}")
        return SetupSession(
            processor_customer=_customer_id(token) or customer.processor_customer,
            approve_url=approve,
            reference=string(token.get("id")),
        )

    def complete_setup(self, customer: CustomerInfo, token: str) -> SavedMethod:
        """Turn an approved setup token into a payment token (the method we charge)."""
        setup = self._send(self._client.vault.get_setup_token, token)
        owner = _customer_id(setup)
        if customer.processor_customer and owner and owner != customer.processor_customer:
            # A setup token is only a bearer string in a URL: never vault one that PayPal
            # opened for someone else onto this customer.
            raise GatewayError("the setup token belongs to another PayPal customer")
        if setup.get("status") not in ("APPROVED", "VAULTED"):
            raise GatewayError(f"the setup token is {setup.get('status')}, not approved")
        payment_token = self._send(
            self._client.vault.create_payment_token,
            {
                "body": PaymentTokenRequest(
                    payment_source=PaymentTokenRequestPaymentSource(
                        token=VaultTokenRequest(id=token, mtype="SETUP_TOKEN")
                    )
                ),
                # One setup token gives one payment token, even when this is retried
                # after a timeout.
                "paypal_request_id": _request_id(f"vault-{token}"),
            },
        )
        wallet = dig(payment_token, "payment_source", "paypal")
        reference = string(payment_token.get("id"))
        if reference is None:
            raise GatewayError("PayPal created a payment token without an id")
        return SavedMethod(
            reference=reference,
            kind="paypal",
            processor_customer=_customer_id(payment_token) or owner,
            email=string(wallet.get("email_address")),
        )

    def detach(self, method: SavedMethod) -> None:
        """Delete the payment token; one that is already gone counts as deleted."""
        try:
            self._api.call(self._client.vault.delete_payment_token, method.reference)
        except ApiException as exc:
            failure = failure_of(exc)
            if failure.status != 404:
                raise_failure(failure)

    # -- charging ---------------------------------------------------------------------------

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Create and capture an order paid by the vaulted wallet, once per idempotency key."""
        if not request.method:
            # Without a vault_id the order would be an ordinary one waiting for a payer.
            raise GatewayError("no PayPal payment token to charge")
        value = to_paypal_value(request.amount)
        unit = PurchaseUnitRequest(
            amount=AmountWithBreakdown(currency_code=request.amount.currency, value=value),
            # Shows in PayPal's reports and webhooks: ties a capture to our attempt.
            custom_id=request.idempotency_key[:_MAX_DESCRIPTION],
        )
        if request.description:
            # Assigned only when present: the SDK would send an explicit null otherwise.
            unit.description = request.description[:_MAX_DESCRIPTION]
        body = OrderRequest(
            intent="CAPTURE",
            purchase_units=[unit],
            payment_source=PaymentSource(paypal=PaypalWallet(vault_id=request.method)),
        )
        try:
            order = self._create_order(body, request.idempotency_key)
        except ApiException as exc:
            return self._charge_refused(failure_of(exc))
        if is_lookup_probe(order):
            # `lookup` found nothing under this key earlier and left an empty order in its
            # place; the key is spent, and nothing can be charged with it any more.
            return ChargeResult(
                status="failed",
                failure_code="processing_error",
                failure_message="this idempotency key was already looked up and found unused",
            )
        return self._settle(order, request.idempotency_key, expected=request.amount)

    def cancel(self, reference: str) -> ChargeResult:
        # An order waiting for the payer's approval moves money only when Recura captures
        # it (`charge`, `lookup`), never by itself: abandoned, it expires at PayPal. Orders
        # have no cancel call in PayPal's API.
        return ChargeResult(
            status="failed",
            reference=reference,
            failure_code="canceled",
            failure_message="abandoned before the payer approved it",
        )

    def lookup(self, idempotency_key: str, reference: str | None) -> ChargeResult:
        """The charge's real status at PayPal.

        With a reference (a capture id) this is GET /v2/payments/captures/{id}. Without
        one — the charge timed out before PayPal's answer arrived — PayPal offers no search
        by PayPal-Request-Id, but a create with the same PayPal-Request-Id returns the
        order first created under it, in its current state, and never creates a second.
        So the lookup sends a create with that id and a body that cannot move money (no
        payment source: an order that waits for a payer who is never shown it). If the
        original arrived, PayPal answers with it; if it did not, the inert order takes the
        key, so a late copy of the original can no longer charge either, and the answer is
        `not_found`. Replaying the real body instead would make a lookup the first charge.
        An order the payer has approved since (after `requires_action`) is captured here:
        that completes the charge that was asked for, and can happen only once.
        """
        if reference:
            try:
                capture = self._send(
                    self._client.payments.get_captured_payment, {"capture_id": reference}
                )
            except PayPalError as exc:
                if exc.failure.status == 404:
                    return ChargeResult(status="not_found")
                raise
            return capture_result(capture, expected=None)
        probe = OrderRequest(
            intent="CAPTURE",
            purchase_units=[
                PurchaseUnitRequest(
                    amount=AmountWithBreakdown(currency_code="USD", value="1.00"),
                    custom_id=LOOKUP_PROBE_ID,
                    description="Recura lookup: not a payment",
                )
            ],
        )
        try:
            order = self._create_order(probe, idempotency_key)
        except ApiException as exc:
            return self._charge_refused(failure_of(exc))
        if is_lookup_probe(order):
            return ChargeResult(status="not_found")
        return self._settle(order, idempotency_key, expected=None)

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund part or all of a capture; PayPal's refusals come back as `failed`."""
        value = to_paypal_value(request.amount)
        options = {
            "capture_id": request.payment_reference,
            "paypal_request_id": _request_id(request.idempotency_key),
            "prefer": _REPRESENTATION,
            "body": PayPalRefundRequest(
                amount=PayPalMoney(currency_code=request.amount.currency, value=value)
            ),
        }
        try:
            refund = self._api.call(self._client.payments.refund_captured_payment, options)
        except ApiException as exc:
            failure = failure_of(exc)
            if failure.status == _REFUSED:
                return RefundResult(status="failed", failure_message=failure.describe())
            raise_failure(failure)
        body = _json(refund)
        reference = string(body.get("id"))
        try:
            reported = money(body.get("amount"))
        except AmountMismatch as exc:
            raise ReportedAmountMismatch(str(exc), reference, None) from None
        if reported is not None and reported != request.amount:
            raise ReportedAmountMismatch(
                f"PayPal refunded {reported} for a refund of {request.amount}", reference, reported
            )
        status = body.get("status")
        if status == "COMPLETED":
            return RefundResult(status="succeeded", reference=reference, amount=reported)
        if status == "PENDING":
            return RefundResult(status="pending", reference=reference, amount=reported)
        reason = dig(body, "status_details").get("reason")
        return RefundResult(
            status="failed",
            reference=reference,
            amount=reported,
            failure_message=f"PayPal refund {status}" + (f": {reason}" if reason else ""),
        )

    # -- webhooks ---------------------------------------------------------------------------

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, now: datetime) -> GatewayEvent:
        """Verify with PayPal, then translate; raises WebhookRejected.

        The timestamp is checked first, so a replayed old notification costs no request.
        If PayPal cannot be asked (no answer), GatewayTimeout: the sender is not at fault,
        and the endpoint should answer 5xx so that PayPal delivers it again.
        """
        transmission = read_transmission(headers, body, now)
        try:
            answer = self._api.call(
                self._api.notifications.verify_webhook_signature,
                verification_request(transmission, self._webhook_id),
            )
        except ApiException as exc:
            raise_failure(failure_of(exc))
        if _json(answer).get("verification_status") != "SUCCESS":
            raise WebhookRejected("PayPal did not verify the signature")
        return translate(transmission.event)

    # -- plumbing ---------------------------------------------------------------------------

    def _create_order(self, body: OrderRequest, idempotency_key: str) -> dict[str, Any]:
        response = self._api.call(
            self._client.orders.create_order,
            {
                "body": body,
                "paypal_request_id": _request_id(idempotency_key),
                # The default answer is minimal (id, status, links): no captures to read.
                "prefer": _REPRESENTATION,
            },
        )
        return _json(response)

    def _settle(
        self, order: dict[str, Any], idempotency_key: str, expected: Money | None
    ) -> ChargeResult:
        """The result an order stands for; an APPROVED order is captured first."""
        status = order.get("status")
        if status == "APPROVED":
            try:
                order = self._send(
                    self._client.orders.capture_order,
                    {
                        "id": order.get("id"),
                        "paypal_request_id": _request_id(f"{idempotency_key}-capture"),
                        "prefer": _REPRESENTATION,
                    },
                )
            except PayPalError as exc:
                declined = declined_result(exc.failure) if exc.failure.status == 422 else None
                if declined is None:
                    raise
                return declined
            status = order.get("status")
        if status == "COMPLETED":
            capture = first_capture(order)
            if capture is not None:
                return capture_result(capture, expected)
            return ChargeResult(status="pending", failure_message="completed without a capture")
        if status == "PAYER_ACTION_REQUIRED":
            return ChargeResult(
                status="requires_action",
                failure_code="authentication_required",
                failure_message="the payer must confirm this payment at PayPal",
                action_url=find_link(order, "payer-action") or find_link(order, "approve"),
            )
        if status == "VOIDED":
            return ChargeResult(
                status="failed",
                failure_code="processing_error",
                failure_message="PayPal voided the order",
            )
        # CREATED or SAVED with a vaulted source: PayPal has not finished; ask again later.
        return ChargeResult(status="pending", failure_message=f"order {status}")

    @staticmethod
    def _charge_refused(failure: PayPalFailure) -> ChargeResult:
        """A 422 about the payer or the wallet is a decline; anything else is raised."""
        declined = declined_result(failure) if failure.status == 422 else None
        if declined is None:
            raise_failure(failure)
        return declined

    def _send(self, operation: Any, *args: Any) -> dict[str, Any]:
        """Call the SDK and return the JSON body; PayPal's HTTP errors are raised."""
        try:
            return _json(self._api.call(operation, *args))
        except ApiException as exc:
            raise_failure(failure_of(exc))


def _json(response: Any) -> dict[str, Any]:
    """The response body as PayPal sent it.

    The SDK's response models leave fields PayPal omitted unset (reading one raises
    AttributeError), so the JSON text is read instead.
    """
    text = getattr(response, "text", None)
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        raise GatewayError("PayPal answered with something that is not JSON") from None
    return body if isinstance(body, dict) else {}


def _request_id(key: str) -> str:
    if len(key) <= _MAX_REQUEST_ID:
        return key
    return hashlib.sha256(key.encode()).hexdigest()


def _with_query(url: str, key: str, value: str) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), (key, value)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _customer_id(body: Mapping[str, Any]) -> str | None:
    return string(dig(body, "customer").get("id"))
