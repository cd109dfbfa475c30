"""Money in Stripe's units, which are not always ISO 4217's minor units.

Stripe's rules (https://docs.stripe.com/currencies): every currency is two-decimal unless it
is on the zero-decimal or three-decimal list. So MGA (ISO: 2 decimals) is zero-decimal at
Stripe, and ISK (ISO: 0) stays two-decimal "for backwards compatibility" with amounts that
must be whole krónur, i.e. multiples of 100. HUF and TWD are two-decimal for charges (the
whole-unit rule there is for payouts only) and UGX is on the zero-decimal list, so all three
convert like their ISO exponents say. Three-decimal amounts must end in 0 for card payments.
"""

from __future__ import annotations

from typing import Final

from recura.core.money import Money, exponent
from recura.gateways.base import AmountMismatch

# fmt: off
ZERO_DECIMAL: Final = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
})
# fmt: on
THREE_DECIMAL: Final = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# The smallest amount, in Stripe's units, that Stripe accepts a multiple of.
_STEP: Final[dict[str, int]] = {"ISK": 100, **dict.fromkeys(THREE_DECIMAL, 10)}


def stripe_exponent(currency: str) -> int:
    """Decimals of the unit Stripe counts `currency` in (upper-case ISO code)."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def to_stripe(money: Money) -> tuple[int, str]:
    """`money` as Stripe's (amount, currency); AmountMismatch if Stripe cannot say it exactly."""
    shift = stripe_exponent(money.currency) - exponent(money.currency)
    if shift >= 0:
        amount = money.minor * 10**shift
    else:
        amount, rest = divmod(money.minor, 10**-shift)
        if rest:
            raise AmountMismatch(
                f"{money} has a fraction Stripe cannot charge: {money.currency} is "
                f"{stripe_exponent(money.currency)}-decimal at Stripe"
            )
    step = _STEP.get(money.currency, 1)
    if amount % step:
        raise AmountMismatch(
            f"{money} is not a multiple of {step} Stripe units, as Stripe requires for "
            f"{money.currency}"
        )
    if from_stripe(amount, money.currency) != money:
        raise AmountMismatch(f"{money} does not survive the round trip to Stripe units")
    return amount, money.currency.lower()


def from_stripe(amount: int, currency: str) -> Money:
    """Stripe's (amount, currency) as Money; AmountMismatch if it is finer than ISO's unit."""
    code = currency.upper()
    shift = exponent(code) - stripe_exponent(code)
    if shift >= 0:
        return Money(amount * 10**shift, code)
    minor, rest = divmod(amount, 10**-shift)
    if rest:
        raise AmountMismatch(f"Stripe amount {amount} {currency} is finer than one {code} unit")
    return Money(minor, code)
