"""How a credit against an invoice splits over its VAT rates: pure, exact to the minor unit.

A credit of `amount` (tax included) is shared between the invoice's rates in proportion to
what each rate billed, tax included, by largest remainder; within a rate the tax is the
part `rate / (100 + rate)` of its share, rounded once. The shares add up to `amount`
exactly, and crediting a whole invoice gives back each rate's billed net and tax.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from recura.core.money import allocate, round_fraction

__all__ = ["BilledRate", "CreditedRate", "split_credit"]


@dataclass(frozen=True, slots=True)
class BilledRate:
    """What an invoice billed at one rate: its net amount and its tax, minor units."""

    rate: Decimal
    net: int
    tax: int


@dataclass(frozen=True, slots=True)
class CreditedRate:
    rate: Decimal
    net: int
    tax: int


def split_credit(amount: int, billed: tuple[BilledRate, ...]) -> tuple[CreditedRate, ...]:
    """Split `amount` (tax included, 0 < amount <= what was billed) over `billed`."""
    gross = [b.net + b.tax for b in billed]
    total = sum(gross)
    if not 0 < amount <= total:
        raise ValueError(f"credit {amount} must be more than 0 and at most the billed {total}")
    if amount == total:
        return tuple(CreditedRate(b.rate, b.net, b.tax) for b in billed)
    shares = allocate(amount, [max(g, 0) for g in gross])
    result = []
    for b, share in zip(billed, shares, strict=True):
        rate = Fraction(b.rate)
        tax = round_fraction(share * rate / (100 + rate))
        result.append(CreditedRate(b.rate, share - tax, tax))
    return tuple(result)
