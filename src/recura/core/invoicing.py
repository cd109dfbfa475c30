"""Invoice calculation: lines, discounts, taxes and totals of one invoice.

`build_invoice` is a pure function; the billing engine persists its result and
previews (upcoming invoice) call it the same way and save nothing.

* Line amounts arrive as integers already rounded once (by pricing or
  proration); they are never rounded again.
* Discounts apply in order to what is still discountable: the positive
  amounts of discountable lines. Each discount is split over those lines by
  largest remainder, so per-line discounts add up exactly to it.
* Tax is rounded per rate on the invoice, not per line (the DESIGN
  invariant, and what EN 16931 / UBL expects in the VAT breakdown).
* Exclusive: total = subtotal - discount_total + tax_total, exactly.
  Inclusive: total = subtotal - discount_total; the tax is inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from recura.core.money import allocate, exponent, round_fraction
from recura.core.tax import Decision, Nature, RateKind

__all__ = [
    "AppliedDiscount",
    "DiscountInput",
    "DraftLine",
    "InvoiceDraft",
    "InvoiceError",
    "InvoiceInput",
    "LineInput",
    "TaxClass",
    "TaxLine",
    "build_invoice",
]


class InvoiceError(ValueError):
    """Invalid invoice input; `field` is a path such as "lines.2.tax_rate" (0-based)."""

    def __init__(self, field: str, message: str) -> None:
        # Both go into args so the exception survives pickling and copying.
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message


# What a line sells in the VAT decision's terms: its rate kind and its nature (core/tax.py),
# both its plan's or add-on's. Lines of one class on one date share one decision.
TaxClass = tuple[RateKind, Nature]


@dataclass(frozen=True, slots=True)
class LineInput:
    """One invoice line; `amount` is signed minor units, credits negative.

    `tax_rate` is a percentage (Decimal("19") is 19 %). Rates are data chosen
    by the caller for the supply date, never constants here. `plan_id` names the
    plan a setup fee line charges for (a customer pays it once per plan). `tax` is
    the VAT decision the rate came from (core/tax.py), kept for the invoice's
    category and mentions; its rate must be `tax_rate`. `rate_kind` and `nature` are the
    rate category and the nature of what the line sells (its plan's or add-on's), which
    chose that decision.
    """

    description: str
    amount: int
    quantity: Decimal = Decimal(1)
    unit_amount: Decimal | None = None
    kind: str = "subscription"
    period_start: datetime | None = None
    period_end: datetime | None = None
    proration: bool = False
    tax_rate: Decimal = Decimal(0)
    discountable: bool = True
    plan_id: str | None = None
    tax: Decision | None = None
    rate_kind: RateKind = RateKind.STANDARD
    nature: Nature = Nature.ELECTRONIC

    @property
    def tax_class(self) -> TaxClass:
        return (self.rate_kind, self.nature)


@dataclass(frozen=True, slots=True)
class DiscountInput:
    """A coupon or discount: exactly one of `percent_off` (0-100) and `amount_off` (minor units)."""

    description: str
    percent_off: Decimal | None = None
    amount_off: int | None = None


@dataclass(frozen=True, slots=True)
class InvoiceInput:
    """Everything one invoice is calculated from; `credit_balance` is the customer's credit."""

    currency: str
    lines: tuple[LineInput, ...]
    discounts: tuple[DiscountInput, ...] = ()
    tax_inclusive: bool = False
    credit_balance: int = 0


@dataclass(frozen=True, slots=True)
class DraftLine:
    """An input line with its share of the discounts.

    `discounted_amount` is amount - discount_amount, what the line adds to its
    rate's base: including the tax when prices include it, since the tax inside
    it is only known per rate, not per line.
    """

    description: str
    amount: int
    quantity: Decimal
    unit_amount: Decimal | None
    kind: str
    period_start: datetime | None
    period_end: datetime | None
    proration: bool
    tax_rate: Decimal
    discountable: bool
    discount_amount: int
    discounted_amount: int
    plan_id: str | None
    tax: Decision | None = None
    nature: Nature = Nature.ELECTRONIC


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    """A discount as applied: `amount` is what it took off (>= 0), possibly less than asked."""

    description: str
    percent_off: Decimal | None
    amount_off: int | None
    amount: int


@dataclass(frozen=True, slots=True)
class TaxLine:
    """The VAT breakdown for one rate.

    `taxable_amount` excludes the tax whether prices include it or not (the
    breakdown's taxable amount, EN 16931 BT-116); `gross_amount` includes it.
    taxable_amount + tax_amount == gross_amount, exactly.
    """

    rate: Decimal
    taxable_amount: int
    tax_amount: int
    gross_amount: int


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """A calculated invoice; every amount is in minor units of `currency`."""

    currency: str
    tax_inclusive: bool
    lines: tuple[DraftLine, ...]
    discounts: tuple[AppliedDiscount, ...]
    subtotal: int
    discount_total: int
    tax_lines: tuple[TaxLine, ...]
    tax_total: int
    total: int
    credit_applied: int
    amount_due: int
    credit_generated: int


# --- validation -------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: object, field: str, *, minimum: int | None = None) -> int:
    if not _is_int(value):
        raise InvoiceError(field, f"{field} must be an integer number of minor units")
    assert isinstance(value, int)
    if minimum is not None and value < minimum:
        raise InvoiceError(field, f"{field} must be at least {minimum}")
    return value


def _decimal(value: object, field: str) -> Decimal:
    # Floats are refused: their binary error would leak into amounts.
    if _is_int(value):
        assert isinstance(value, int)
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    raise InvoiceError(field, f"{field} must be a finite decimal number, got {value!r}")


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvoiceError(field, f"{field} must be a string")
    return value


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvoiceError(field, f"{field} must be true or false")
    return value


def _instant(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvoiceError(field, f"{field} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvoiceError(field, f"{field} must be timezone-aware")
    return value


def _check_line(line: object, path: str) -> LineInput:
    if not isinstance(line, LineInput):
        raise InvoiceError(path, f"{path} must be a LineInput")
    _text(line.description, f"{path}.description")
    _text(line.kind, f"{path}.kind")
    _int(line.amount, f"{path}.amount")
    _decimal(line.quantity, f"{path}.quantity")
    if line.unit_amount is not None:
        _decimal(line.unit_amount, f"{path}.unit_amount")
    _flag(line.proration, f"{path}.proration")
    _flag(line.discountable, f"{path}.discountable")
    if line.plan_id is not None:
        _text(line.plan_id, f"{path}.plan_id")
    if _decimal(line.tax_rate, f"{path}.tax_rate") < 0:
        raise InvoiceError(f"{path}.tax_rate", "tax_rate must not be negative")
    if line.tax is not None and line.tax.rate != line.tax_rate:
        raise InvoiceError(f"{path}.tax", "the tax decision's rate must be tax_rate")
    start = _instant(line.period_start, f"{path}.period_start")
    end = _instant(line.period_end, f"{path}.period_end")
    if (start is None) != (end is None):
        raise InvoiceError(f"{path}.period_end", "period_start and period_end go together")
    if start is not None and end is not None and end < start:
        raise InvoiceError(f"{path}.period_end", "period_end must not be before period_start")
    return line


def _check_discount(discount: object, path: str) -> DiscountInput:
    if not isinstance(discount, DiscountInput):
        raise InvoiceError(path, f"{path} must be a DiscountInput")
    _text(discount.description, f"{path}.description")
    if (discount.percent_off is None) == (discount.amount_off is None):
        raise InvoiceError(path, "a discount needs exactly one of percent_off and amount_off")
    if discount.percent_off is not None:
        percent = _decimal(discount.percent_off, f"{path}.percent_off")
        if not 0 <= percent <= 100:
            raise InvoiceError(f"{path}.percent_off", "percent_off must be between 0 and 100")
    else:
        _int(discount.amount_off, f"{path}.amount_off", minimum=0)
    return discount


def _check(inputs: object) -> tuple[tuple[LineInput, ...], tuple[DiscountInput, ...]]:
    if not isinstance(inputs, InvoiceInput):
        raise TypeError(f"build_invoice expects an InvoiceInput, got {type(inputs).__name__}")
    exponent(inputs.currency)  # CurrencyError for an unknown code
    _flag(inputs.tax_inclusive, "tax_inclusive")
    _int(inputs.credit_balance, "credit_balance", minimum=0)
    lines = _sequence(inputs.lines, "lines")
    if not lines:
        raise InvoiceError("lines", "an invoice needs at least one line")
    discounts = _sequence(inputs.discounts, "discounts")
    return (
        tuple(_check_line(line, f"lines.{i}") for i, line in enumerate(lines)),
        tuple(_check_discount(d, f"discounts.{i}") for i, d in enumerate(discounts)),
    )


def _sequence(value: object, field: str) -> tuple[object, ...]:
    if not isinstance(value, tuple | list):
        raise InvoiceError(field, f"{field} must be a tuple")
    return tuple(value)


# --- calculation ------------------------------------------------------------------


def _discount_amount(discount: DiscountInput, remaining: int) -> int:
    if discount.percent_off is not None:
        wanted = round_fraction(remaining * Fraction(discount.percent_off) / 100)
    else:
        assert discount.amount_off is not None
        wanted = discount.amount_off
    # Never more than what is left: a discount cannot turn the discountable part negative.
    return min(wanted, remaining)


def _allocation_key(line: LineInput, left: int) -> tuple[int, Decimal, int, str, str]:
    return (-left, Decimal(line.tax_rate), -line.amount, line.description, line.kind)


def _apply_discounts(
    lines: tuple[LineInput, ...], discounts: tuple[DiscountInput, ...]
) -> tuple[list[int], list[AppliedDiscount]]:
    per_line = [0] * len(lines)
    # Negative lines (credits) are never discounted: that would raise the charge.
    eligible = [i for i, line in enumerate(lines) if line.discountable and line.amount > 0]
    applied: list[AppliedDiscount] = []
    for discount in discounts:
        left = {i: lines[i].amount - per_line[i] for i in eligible}
        amount = _discount_amount(discount, sum(left.values()))
        if amount > 0:
            # Order the lines by their content rather than their position, so
            # allocate()'s tie-break (earlier index wins) cannot move a minor
            # unit between tax rates, or between lines, when lines are reordered.
            order = sorted(eligible, key=lambda i: _allocation_key(lines[i], left[i]))
            for i, share in zip(order, allocate(amount, [left[i] for i in order]), strict=True):
                per_line[i] += share
        applied.append(
            AppliedDiscount(
                description=discount.description,
                percent_off=None if discount.percent_off is None else Decimal(discount.percent_off),
                amount_off=discount.amount_off,
                amount=amount,
            )
        )
    return per_line, applied


@lru_cache(maxsize=256)
def _fraction(rate: Decimal) -> Fraction:
    # An invoice run meets the same few rates thousands of times.
    return Fraction(rate)


def _tax_lines(lines: Iterable[DraftLine], *, inclusive: bool) -> tuple[TaxLine, ...]:
    bases: dict[Decimal, int] = {}
    for line in lines:
        bases[line.tax_rate] = bases.get(line.tax_rate, 0) + line.discounted_amount
    result = []
    for rate in sorted(bases):
        base = bases[rate]
        r = _fraction(rate)
        # Inclusive: the base is gross, so its tax share is rate / (100 + rate).
        tax = round_fraction(base * r / (100 + r) if inclusive else base * r / 100)
        taxable = base - tax if inclusive else base
        result.append(
            TaxLine(rate=rate, taxable_amount=taxable, tax_amount=tax, gross_amount=taxable + tax)
        )
    return tuple(result)


def build_invoice(inputs: InvoiceInput) -> InvoiceDraft:
    """Calculate one invoice; raises InvoiceError (or CurrencyError) on bad input."""
    lines, discounts = _check(inputs)
    per_line, applied = _apply_discounts(lines, discounts)
    drafts = tuple(
        DraftLine(
            description=line.description,
            amount=line.amount,
            # Ints are accepted for convenience; the draft always holds Decimals.
            quantity=Decimal(line.quantity),
            unit_amount=None if line.unit_amount is None else Decimal(line.unit_amount),
            kind=line.kind,
            period_start=line.period_start,
            period_end=line.period_end,
            proration=line.proration,
            tax_rate=Decimal(line.tax_rate),
            discountable=line.discountable,
            discount_amount=discount,
            discounted_amount=line.amount - discount,
            plan_id=line.plan_id,
            tax=line.tax,
            nature=line.nature,
        )
        for line, discount in zip(lines, per_line, strict=True)
    )
    tax_lines = _tax_lines(drafts, inclusive=inputs.tax_inclusive)
    subtotal = sum(line.amount for line in lines)
    discount_total = sum(d.amount for d in applied)
    tax_total = sum(t.tax_amount for t in tax_lines)
    total = subtotal - discount_total
    if not inputs.tax_inclusive:
        total += tax_total
    if total > 0:
        credit_applied = min(inputs.credit_balance, total)
        amount_due = total - credit_applied
        credit_generated = 0
    else:
        # A negative invoice pays nothing and leaves the customer the difference as credit.
        credit_applied = amount_due = 0
        credit_generated = -total
    return InvoiceDraft(
        currency=inputs.currency,
        tax_inclusive=inputs.tax_inclusive,
        lines=drafts,
        discounts=tuple(applied),
        subtotal=subtotal,
        discount_total=discount_total,
        tax_lines=tax_lines,
        tax_total=tax_total,
        total=total,
        credit_applied=credit_applied,
        amount_due=amount_due,
        credit_generated=credit_generated,
    )
