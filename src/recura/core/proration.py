"""Proration: credit and debit lines for a change in the middle of a billing period.

Policy
------
* By the second. The part of the period [start, end) still to come at the
  instant `at` is (end - at) / (end - start), an exact `Fraction` of whole
  seconds. Microseconds are truncated off all three instants first, so the
  fraction is exact and the same wherever and whenever it is recomputed (a
  preview and the real change agree).
* Real elapsed time. Seconds are counted on the UTC timeline, so a period
  that contains a daylight-saving change is 1 hour shorter or longer than its
  wall-clock length, and an hour of it is worth the same as any other hour.
* Rounded once. Each line is full_amount x fraction rounded to whole minor
  units by `money.round_minor` (half away from zero); nothing is rounded
  before that. Because that rounding is symmetric in sign, the credit for an
  amount is exactly the negative of the debit for it at the same `at`.
* Signs. Credits (the unused part of what was paid) are negative, debits (the
  remaining part of the new price) positive. Full amounts are the unprorated
  period amounts in minor units, e.g. `pricing.price(...).total.minor`, so
  seats, tiers and 0- or 3-decimal currencies are already accounted for.
* `at` must lie within [start, end]; at == start prorates the whole period,
  at == end nothing. The clock is never read: `at` is always a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final

from recura.core.money import exponent, round_fraction

__all__ = [
    "CREDIT",
    "DEBIT",
    "ProrationLine",
    "change",
    "charge_remaining",
    "credit_unused",
    "remaining_fraction",
]

CREDIT: Final = "credit"
DEBIT: Final = "debit"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class ProrationLine:
    """One prorated line; `amount` is signed minor units (credits negative)."""

    kind: str
    description: str
    amount: int
    currency: str
    quantity: Decimal
    start: datetime
    end: datetime
    full_amount: int


def _instant(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value


def _whole_seconds(value: datetime) -> int:
    # Subtracting from a UTC epoch forces a real-time difference: two datetimes
    # sharing one ZoneInfo are subtracted by wall clock, which would make a
    # DST-change day 24 hours long. Floor division drops the microseconds.
    return (value - _EPOCH) // _SECOND


def remaining_fraction(start: datetime, end: datetime, at: datetime) -> Fraction:
    """Exact part of [start, end) left at `at`: (end - at) / (end - start) in whole seconds."""
    start = _instant(start, "start")
    end = _instant(end, "end")
    at = _instant(at, "at")
    s, e, a = _whole_seconds(start), _whole_seconds(end), _whole_seconds(at)
    if e <= s:
        raise ValueError(
            f"period end {end.isoformat()} must be at least one second after "
            f"its start {start.isoformat()}"
        )
    if not start <= at <= end:
        raise ValueError(
            f"at {at.isoformat()} is outside the period [{start.isoformat()}, {end.isoformat()}]"
        )
    return Fraction(e - a, e - s)


def _full_amount(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of minor units, got {type(value).__name__}")
    if value < 0:
        # A full period amount is a price; the sign of a line comes from its kind.
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def _quantity(value: object, name: str) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
        return value
    raise TypeError(f"{name} must be a finite Decimal or int, got {value!r}")


def _line(
    kind: str,
    full_amount: int,
    currency: str,
    start: datetime,
    end: datetime,
    at: datetime,
    description: str,
    quantity: Decimal | int,
) -> ProrationLine:
    full = _full_amount(full_amount, "full_amount")
    exponent(currency)  # raises CurrencyError for an unknown code
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, got {type(description).__name__}")
    q = _quantity(quantity, "quantity")
    remaining = round_fraction(full * remaining_fraction(start, end, at))
    return ProrationLine(
        kind=kind,
        description=description,
        amount=-remaining if kind == CREDIT else remaining,
        currency=currency,
        quantity=q,
        start=at,
        end=end,
        full_amount=full,
    )


def credit_unused(
    full_amount: int,
    currency: str,
    start: datetime,
    end: datetime,
    at: datetime,
    description: str,
    quantity: Decimal | int = Decimal(1),
) -> ProrationLine:
    """Negative line giving back the unused part, from `at` to `end`, of what was paid."""
    return _line(CREDIT, full_amount, currency, start, end, at, description, quantity)


def charge_remaining(
    full_amount: int,
    currency: str,
    start: datetime,
    end: datetime,
    at: datetime,
    description: str,
    quantity: Decimal | int = Decimal(1),
) -> ProrationLine:
    """Positive line charging the new price for the rest of the period, from `at` to `end`."""
    return _line(DEBIT, full_amount, currency, start, end, at, description, quantity)


def change(
    old_full: int,
    new_full: int,
    currency: str,
    start: datetime,
    end: datetime,
    at: datetime,
    old_description: str,
    new_description: str,
    old_quantity: Decimal | int = 1,
    new_quantity: Decimal | int = 1,
) -> list[ProrationLine]:
    """[credit for the old price, debit for the new one] at `at`, zero-amount lines left out.

    Covers upgrades, downgrades, seat changes and add-ons: old_full 0 is an
    addition, new_full 0 a removal.
    """
    # Both lines are always built so that bad input fails even when a line
    # would have been left out for being zero.
    lines = [
        credit_unused(old_full, currency, start, end, at, old_description, old_quantity),
        charge_remaining(new_full, currency, start, end, at, new_description, new_quantity),
    ]
    return [line for line in lines if line.amount != 0]
