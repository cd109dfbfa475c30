"""What PayPal's orders, captures and refusals mean as Recura charge results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from recura.core.money import Money
from recura.gateways.base import AmountMismatch, ChargeResult, GatewayTimeout
from recura.gateways.paypal_json import dig, money, string
from recura.gateways.paypal_sdk import PayPalFailure

# The custom_id of the inert order `lookup` creates to learn whether a key was used.
LOOKUP_PROBE_ID: Final = "recura-lookup-probe"

# 422 issues of a create or capture that are about the payer or the wallet: the charge was
# declined, which is an outcome, not a malformed request. Each maps to a base.FAILURE_CODES.
_DECLINES: Final[dict[str, str]] = {
    "INSTRUMENT_DECLINED": "card_declined",
    "TRANSACTION_REFUSED": "card_declined",
    "PAYMENT_SOURCE_DECLINED_BY_PROCESSOR": "card_declined",
    "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED": "card_declined",
    "TRANSACTION_LIMIT_EXCEEDED": "card_declined",
    "PAYER_CANNOT_PAY": "payment_method_unusable",
    "PAYMENT_SOURCE_CANNOT_BE_USED": "payment_method_unusable",
    "PAYMENT_SOURCE_INFO_CANNOT_BE_VERIFIED": "payment_method_unusable",
    "PAYER_ACCOUNT_LOCKED_OR_CLOSED": "payment_method_unusable",
    "PAYER_ACCOUNT_RESTRICTED": "payment_method_unusable",
    "AGREEMENT_ALREADY_CANCELLED": "payment_method_unusable",
}
_ACTION_REQUIRED: Final = frozenset(
    {"PAYER_ACTION_REQUIRED", "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING"}
)

# A capture that went through; later refunds change its status but not that it was paid.
_CAPTURED: Final = frozenset({"COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"})


class ReportedAmountMismatch(GatewayTimeout):
    """PayPal reports a charge or refund of another amount than the one asked for.

    Money may have moved, so this is not a refusal (GatewayError would let the caller
    try again); it leaves the payment unknown, for a person to look at. The capture or
    refund id and PayPal's amount are kept for them.
    """

    def __init__(self, message: str, reference: str | None, reported: Money | None) -> None:
        super().__init__(message)
        self.reference = reference
        self.reported = reported


def first_capture(order: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The latest capture of the order's purchase unit (Recura sends exactly one)."""
    units = order.get("purchase_units")
    if not isinstance(units, list) or not units or not isinstance(units[0], dict):
        return None
    captures = dig(units[0], "payments").get("captures")
    if not isinstance(captures, list) or not captures or not isinstance(captures[-1], dict):
        return None
    capture: Mapping[str, Any] = captures[-1]
    return capture


def is_lookup_probe(order: Mapping[str, Any]) -> bool:
    units = order.get("purchase_units")
    if not isinstance(units, list) or not units or not isinstance(units[0], dict):
        return False
    return units[0].get("custom_id") == LOOKUP_PROBE_ID


def capture_result(capture: Mapping[str, Any], expected: Money | None) -> ChargeResult:
    """A capture's status as a ChargeResult; raises ReportedAmountMismatch on another amount."""
    reference = string(capture.get("id"))
    try:
        amount = money(capture.get("amount"))
    except AmountMismatch as exc:
        raise ReportedAmountMismatch(str(exc), reference, None) from None
    if expected is not None and amount != expected:
        raise ReportedAmountMismatch(
            f"PayPal captured {amount} for a charge of {expected}", reference, amount
        )
    status = capture.get("status")
    reason = string(dig(capture, "status_details").get("reason"))
    if status in _CAPTURED:
        return ChargeResult(status="succeeded", reference=reference, amount=amount)
    if status == "DECLINED":
        return ChargeResult(
            status="failed",
            reference=reference,
            amount=amount,
            failure_code="card_declined",
            failure_message="PayPal declined the capture" + (f": {reason}" if reason else ""),
        )
    if status == "FAILED":
        return ChargeResult(
            status="failed",
            reference=reference,
            amount=amount,
            failure_code="processing_error",
            failure_message="the capture failed at PayPal",
        )
    # PENDING (e.g. PENDING_REVIEW, an eCheck): decided later, told by webhook or lookup.
    return ChargeResult(
        status="pending", reference=reference, amount=amount, failure_message=reason
    )


def declined_result(failure: PayPalFailure) -> ChargeResult | None:
    """A 422 as a declined charge, or None if it is not about the payer or the wallet."""
    for issue in failure.issues:
        if issue in _ACTION_REQUIRED:
            return ChargeResult(
                status="requires_action",
                failure_code="authentication_required",
                failure_message=failure.describe(),
            )
        code = _DECLINES.get(issue)
        if code is not None:
            return ChargeResult(
                status="failed", failure_code=code, failure_message=failure.describe()
            )
    return None
