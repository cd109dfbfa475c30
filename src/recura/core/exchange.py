"""Exchange rates: the rate of a day, and Money converted with one rounding.

A rate says 1 `base` = `rate` `quote` (as the National Bank of Romania publishes them:
1 EUR = 4.9771 RON). The rate of a day is the latest published on or before it: banks
publish none on weekends and holidays, and the last one stays in force. Reports and the
VAT of an invoice in another currency both convert through `convert_on`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from recura.core.money import CurrencyMismatchError, Money, exponent, is_currency, round_fraction

__all__ = ["NoRateError", "Rate", "convert", "convert_on", "exact", "factor_on", "rate_on"]


class NoRateError(LookupError):
    """No rate between the two currencies was published on or before the day."""


@dataclass(frozen=True, slots=True)
class Rate:
    """1 `base` = `rate` `quote`, published for `day`."""

    day: date
    base: str
    quote: str
    rate: Decimal

    def __post_init__(self) -> None:
        for code in (self.base, self.quote):
            if not is_currency(code):
                raise ValueError(f"unknown currency code {code!r}")
        if self.base == self.quote:
            raise ValueError("a rate needs two different currencies")
        if not isinstance(self.rate, Decimal) or not self.rate.is_finite() or self.rate <= 0:
            raise ValueError(f"a rate must be a positive finite decimal, got {self.rate!r}")

    def factor(self, source: str, target: str) -> Fraction:
        """What one major unit of `source` is worth in `target` by this rate (exact)."""
        if (source, target) == (self.base, self.quote):
            return Fraction(self.rate)
        if (source, target) == (self.quote, self.base):
            return 1 / Fraction(self.rate)
        raise CurrencyMismatchError(f"a {self.base}/{self.quote} rate does not convert {source}")


def exact(amount: Money, factor: Fraction, target: str) -> Fraction:
    """`amount` in minor units of `target` at `factor` (what one major unit of its
    currency is worth in `target`), exactly: not rounded yet."""
    shift = exponent(target) - exponent(amount.currency)
    return amount.minor * factor * Fraction(10) ** shift


def _scaled(minor: int, source: str, factor: Fraction, target: str) -> int:
    """Minor units of `source` times `factor` as minor units of `target`, rounded once."""
    return round_fraction(exact(Money(minor, source), factor, target))


def convert(amount: Money, rate: Rate) -> Money:
    """`amount` (in either currency of `rate`) in the other, rounded once half away from
    zero to the target's minor unit."""
    target = rate.quote if amount.currency == rate.base else rate.base
    factor = rate.factor(amount.currency, target)
    return Money(_scaled(amount.minor, amount.currency, factor, target), target)


def rate_on(rates: Iterable[Rate], day: date, source: str, target: str) -> Rate | None:
    """The latest rate between the two currencies (either way round) on or before `day`;
    of one day's rates both ways, the one quoted as source/target."""
    best: Rate | None = None
    for r in rates:
        if {r.base, r.quote} != {source, target} or r.day > day:
            continue
        if best is None or (r.day, r.base == source) > (best.day, best.base == source):
            best = r
    return best


def factor_on(source: str, target: str, day: date, rates: Iterable[Rate]) -> Fraction:
    """What one major unit of `source` is worth in `target` on `day`, exactly: by a rate
    between them (either way round), or through one currency both have rates with (RON
    for the National Bank's list; of several, the first by code)."""
    if source == target:
        return Fraction(1)
    for code in (source, target):
        if not is_currency(code):
            raise ValueError(f"unknown currency code {code!r}")
    known = list(rates)
    direct = rate_on(known, day, source, target)
    if direct is not None:
        return direct.factor(source, target)
    pivots = {c for r in known for c in (r.base, r.quote)} - {source, target}
    for pivot in sorted(pivots):
        first = rate_on(known, day, source, pivot)
        second = rate_on(known, day, pivot, target)
        if first is not None and second is not None:
            return first.factor(source, pivot) * second.factor(pivot, target)
    raise NoRateError(f"no {source}/{target} rate on or before {day.isoformat()}")


def convert_on(amount: Money, target: str, day: date, rates: Iterable[Rate]) -> Money:
    """`amount` in `target` by the rates in force on `day` (`factor_on`), rounded once."""
    if amount.currency == target:
        return amount
    factor = factor_on(amount.currency, target, day, rates)
    return Money(_scaled(amount.minor, amount.currency, factor, target), target)
