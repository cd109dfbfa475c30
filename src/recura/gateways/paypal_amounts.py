"""Recura's Money to PayPal's `value` strings and back, exactly or not at all.

PayPal does not always use ISO 4217's minor unit: HUF and TWD have 2 decimals in ISO 4217 but
PayPal accepts no decimals for them (a decimal amount is an error, DECIMAL_PRECISION), like JPY.
An amount that cannot be written in PayPal's precision is refused here, before any request,
instead of being rounded into a different charge than the invoice says.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation
from typing import Final

from recura.core.money import CurrencyError, Money, exponent
from recura.gateways.base import AmountMismatch, GatewayError

# PayPal's REST currency codes and the decimals its `value` takes for each
# (developer.paypal.com/api/rest/reference/currency-codes). A currency not listed
# here cannot be charged through PayPal at all (RON among them), so it is refused
# rather than guessed at: a wrong precision would move a different amount.
_TWO_DECIMALS: Final = (
    "AUD",
    "BRL",
    "CAD",
    "CHF",
    "CNY",
    "CZK",
    "DKK",
    "EUR",
    "GBP",
    "HKD",
    "ILS",
    "INR",
    "MXN",
    "MYR",
    "NOK",
    "NZD",
    "PHP",
    "PLN",
    "SEK",
    "SGD",
    "THB",
    "USD",
)
PAYPAL_DECIMALS: Final[dict[str, int]] = {
    **dict.fromkeys(_TWO_DECIMALS, 2),
    "HUF": 0,
    "JPY": 0,
    "TWD": 0,
}

# The `value` pattern of PayPal's Money object, without the sign: Recura never sends or
# expects a negative amount (refunds are positive amounts of a refund).
_VALUE = re.compile(r"^([0-9]+)(?:\.([0-9]+))?$")

# PayPal allows 32 characters per value; this precision holds every one of them exactly, so
# no step below ever rounds silently (the default context keeps only 28 digits).
_EXACT: Final = Context(prec=80)


def paypal_decimals(currency: str) -> int:
    """Decimals PayPal takes for `currency`; GatewayError if PayPal does not support it."""
    try:
        return PAYPAL_DECIMALS[currency]
    except KeyError:
        raise GatewayError(f"PayPal does not support the currency {currency}") from None


def to_paypal_value(amount: Money) -> str:
    """`amount` as PayPal's decimal string; AmountMismatch if PayPal cannot express it."""
    if amount.minor <= 0:
        raise GatewayError(f"PayPal amounts must be positive, got {amount}")
    decimals = paypal_decimals(amount.currency)
    major = amount.to_major()
    quantum = Decimal(1).scaleb(-decimals)
    written = major.quantize(quantum, context=_EXACT)
    if written != major:
        raise AmountMismatch(
            f"{amount} has more decimals than PayPal accepts for {amount.currency} ({decimals})"
        )
    value = f"{written:f}"
    # The string is what PayPal will charge; read it back the way a response is read so
    # that no formatting slip (exponent notation, lost digits) can pass unnoticed.
    if from_paypal_value(value, amount.currency) != amount:
        raise AmountMismatch(f"{amount} does not survive conversion to PayPal's {value!r}")
    return value


def from_paypal_value(value: str, currency: str) -> Money:
    """PayPal's `value` in `currency` as Money; AmountMismatch unless it is exact."""
    match = _VALUE.match(value) if isinstance(value, str) else None
    if match is None:
        raise AmountMismatch(f"not a PayPal amount: {value!r}")
    try:
        exp = exponent(currency)
        scaled = Decimal(value).scaleb(exp, context=_EXACT)
    except (CurrencyError, InvalidOperation) as exc:
        raise AmountMismatch(f"cannot read {value!r} {currency}: {exc}") from None
    if scaled != scaled.to_integral_value():
        raise AmountMismatch(f"{value} {currency} is finer than the currency's minor unit")
    return Money(int(scaled), currency)
