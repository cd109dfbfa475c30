"""Stripe's decline and error codes in Recura's words (`base.FAILURE_CODES`)."""

from __future__ import annotations

from typing import Final

# Only the codes whose meaning differs for dunning; every other decline is a card_declined.
_CODES: Final[dict[str, str]] = {
    "insufficient_funds": "insufficient_funds",
    "expired_card": "expired_card",
    "authentication_required": "authentication_required",
    "payment_intent_authentication_failure": "authentication_required",
    "processing_error": "processing_error",
    "issuer_not_available": "processing_error",
    "reenter_transaction": "processing_error",
    "try_again_later": "processing_error",
    # The card itself cannot be used again: retrying is pointless, a new method is needed.
    "card_not_supported": "payment_method_unusable",
    "currency_not_supported": "payment_method_unusable",
    "incorrect_number": "payment_method_unusable",
    "invalid_number": "payment_method_unusable",
    "invalid_expiry_month": "payment_method_unusable",
    "invalid_expiry_year": "payment_method_unusable",
    "lost_card": "payment_method_unusable",
    "stolen_card": "payment_method_unusable",
    "pickup_card": "payment_method_unusable",
    "restricted_card": "payment_method_unusable",
    "payment_method_unactivated": "payment_method_unusable",
    "payment_method_not_available": "payment_method_unusable",
}


def failure_code(decline_code: object, code: object) -> str:
    """The issuer's decline code says more than Stripe's error code, so it is asked first."""
    for candidate in (decline_code, code):
        if isinstance(candidate, str) and candidate in _CODES:
            return _CODES[candidate]
    return "card_declined"
