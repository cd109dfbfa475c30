"""Money as an integer count of minor units of an ISO 4217 currency."""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

__all__ = [
    "CURRENCIES",
    "ROUNDING",
    "CurrencyError",
    "CurrencyMismatchError",
    "Money",
    "allocate",
    "exponent",
    "is_currency",
    "round_minor",
    "sum_money",
]


class CurrencyError(ValueError):
    """Unknown or malformed ISO 4217 currency code."""


class CurrencyMismatchError(ValueError):
    """Arithmetic or ordering attempted across two currencies."""


# ISO 4217 list one, grouped by minor-unit exponent. Codes whose minor unit is
# "N.A." (precious metals, bond units, XDR, XSU, XUA, XTS, XXX) are left out on
# purpose: they have no minor unit, so they cannot be billed in integers.
# Withdrawn codes (ANG, BGN, CUC, HRK, SLL, ZWL, ...) are left out as well.
_BY_EXPONENT: Final[dict[int, str]] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: """
        AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD
        BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP
        DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF
        IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL
        MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR
        NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP
        SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD
        USN UYU UZS VED VES WST XAD XCD XCG YER ZAR ZMW ZWG
    """,
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}

_EXPONENTS: Final[dict[str, int]] = {
    code: exp for exp, codes in _BY_EXPONENT.items() for code in codes.split()
}

CURRENCIES: Final[frozenset[str]] = frozenset(_EXPONENTS)

# Half away from zero is what customers, accountants and most tax authorities
# expect ("0.5 rounds up"), and unlike banker's rounding it is symmetric in
# sign, so a credit note rounds to exactly the negative of its invoice.
# Every conversion to minor units in the project goes through round_minor().
ROUNDING: Final = decimal.ROUND_HALF_UP

# Unbounded precision: sums and products of Decimals are then exact instead of
# being silently rounded to the default 28 significant digits.
_EXACT: Final = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    rounding=ROUNDING,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def is_currency(code: str) -> bool:
    """True if `code` is an active ISO 4217 code (upper case, exactly as listed)."""
    return isinstance(code, str) and code in _EXPONENTS


def exponent(currency: str) -> int:
    """Number of decimal digits of the currency's minor unit (RON 2, JPY 0, BHD 3)."""
    if not is_currency(currency):
        raise CurrencyError(f"unknown currency code {currency!r}")
    return _EXPONENTS[currency]


def round_minor(value: Decimal) -> int:
    """Round an amount already expressed in minor units to an int, half away from zero."""
    if not isinstance(value, Decimal):
        raise TypeError(f"round_minor expects a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"cannot round non-finite amount {value}")
    return int(value.to_integral_value(rounding=ROUNDING, context=_EXACT))


def round_fraction(value: Fraction | int) -> int:
    """Round an exact rational number of minor units with `money.round_minor`."""
    if isinstance(value, bool) or not isinstance(value, Fraction | int):
        raise TypeError(f"expected a Fraction or int, got {type(value).__name__}")
    value = Fraction(value)
    num, den = value.numerator, value.denominator
    if den == 1:
        return num
    # round_minor takes a Decimal, but n/d rarely has a finite decimal form.
    # Truncating |n/d| to `digits` decimals keeps the rounding decision intact:
    # a value that is not exactly halfway is at least 1/(2d) away from the
    # halfway point, more than the truncation error 10**-digits < 1/(10d), and
    # an exact half (d even) is represented exactly. Truncating the magnitude
    # keeps the sign symmetry the policy promises.
    digits = len(str(den)) + 1
    magnitude = abs(num) * 10**digits // den
    sign = "-" if num < 0 else ""
    # A Decimal built from a string keeps every digit whatever the context.
    return round_minor(Decimal(f"{sign}{magnitude}E-{digits}"))


def _is_int(value: object) -> bool:
    # bool is an int subclass, but True is never a meaningful amount or weight.
    return isinstance(value, int) and not isinstance(value, bool)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` in proportion to `weights` by largest remainder; shares sum to `total`."""
    if not _is_int(total):
        raise TypeError(f"total must be an int, got {type(total).__name__}")
    ws = list(weights)
    if not ws or not all(_is_int(w) for w in ws):
        raise ValueError("weights must be a non-empty sequence of ints")
    if any(w < 0 for w in ws):
        raise ValueError("weights must be non-negative")
    weight_sum = sum(ws)
    if weight_sum <= 0:
        raise ValueError("weights must have a positive sum")
    if total < 0:
        # Mirror the positive case so that allocating a refund gives exactly
        # the negated shares of allocating the charge.
        return [-share for share in allocate(-total, ws)]

    quotients = [divmod(total * w, weight_sum) for w in ws]
    shares = [q for q, _ in quotients]
    leftover = total - sum(shares)
    # Largest remainder first; on equal remainders the earlier index wins so
    # the result never depends on anything but the inputs.
    order = sorted(range(len(ws)), key=lambda i: (-quotients[i][1], i))
    for i in order[:leftover]:
        shares[i] += 1
    return shares


def _check_currency(currency: object) -> str:
    if not isinstance(currency, str) or not is_currency(currency):
        raise CurrencyError(f"unknown currency code {currency!r}")
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: `minor` units (bani, cents, fils) of `currency`."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not _is_int(self.minor):
            raise TypeError(f"Money.minor must be an int, got {type(self.minor).__name__}")
        _check_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in `currency`."""
        return cls(0, currency)

    @classmethod
    def from_major(cls, value: Decimal | str | int, currency: str) -> Money:
        """Build from major units ("49.99"), rounding with the project policy."""
        exp = exponent(currency)
        if isinstance(value, bool) or not isinstance(value, Decimal | str | int):
            # Floats are refused: their binary error would leak into invoices.
            raise TypeError(f"amount must be Decimal, str or int, got {type(value).__name__}")
        try:
            amount = Decimal(value.strip() if isinstance(value, str) else value)
        except decimal.InvalidOperation:
            raise ValueError(f"not a decimal amount: {value!r}") from None
        if not amount.is_finite():
            raise ValueError(f"amount must be finite, got {value!r}")
        return cls(round_minor(amount.scaleb(exp, context=_EXACT)), currency)

    def to_major(self) -> Decimal:
        """Exact amount in major units with exactly `exponent(currency)` decimals."""
        return Decimal(self.minor).scaleb(-exponent(self.currency), context=_EXACT)

    def is_zero(self) -> bool:
        """True for a zero amount."""
        return self.minor == 0

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into shares proportional to `weights`; they sum exactly to self."""
        return [Money(share, self.currency) for share in allocate(self.minor, weights)]

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        # Only integer factors: anything fractional needs an explicit rounding
        # decision, which belongs to round_minor() at the call site.
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor >= other.minor

    def __str__(self) -> str:
        return f"{self.to_major():f} {self.currency}"


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Sum of `items`, all in `currency`; Money.zero(currency) when empty."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total
