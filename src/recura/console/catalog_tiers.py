"""Tiered prices in the plan forms: a few rows of (up to how many units, price per unit,
flat fee), read from the first row down into the API's `tiers`, and tiers said as
sentences on a plan's page.

The form has a fixed number of rows, so it works without JavaScript; the API takes up to 50
tiers, which plans with more keep making through the API. A row's numbers are typed as
every other amount of the console, in the currency's major unit ("0.05"); a price per unit
may be finer than the currency's smallest coin (a metered call at half a ban), as the API's
`unit_amount` may be, while a flat fee is whole minor units."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_currency

from recura.core.money import exponent, is_currency

ROWS = 5
COLUMNS = ("up_to", "unit_amount", "flat_amount")
TIERED = ("tiered_graduated", "tiered_volume")


class FieldProblem(Exception):
    """A field the form itself could not read (an amount, a day, a tier's number)."""

    def __init__(self, field: str, kind: str) -> None:
        self.field = field
        self.kind = kind


def name(row: int, column: str) -> str:
    """A cell's field name, rows counted from 0 as the API counts tiers."""
    return f"tier_{row}_{column}"


NAMES = tuple(name(row, column) for row in range(ROWS) for column in COLUMNS)


def error_field(location: list[str]) -> str | None:
    """The cell a schema location or pointer names (`prices/0/tiers/2/up_to`), the tiers as a
    whole for one that names no cell; None when it is not about tiers."""
    if "tiers" not in location:
        return None
    at = location.index("tiers")
    rest = location[at + 1 : at + 3]
    if len(rest) == 2 and rest[0].isdigit() and rest[1] in COLUMNS:
        return name(int(rest[0]), rest[1])
    return "tiers"


def filled(fields: Mapping[str, str]) -> bool:
    return any(fields.get(n, "").strip() for n in NAMES)


def read(fields: Mapping[str, str], currency: str) -> list[dict[str, Any]]:
    """The filled rows as the API's tiers. A row left empty between filled ones would move
    every later row's number (and its messages) by one, so it is refused instead."""
    rows = [
        {column: fields.get(name(row, column), "").strip() for column in COLUMNS}
        for row in range(ROWS)
    ]
    last = max((i for i, row in enumerate(rows) if any(row.values())), default=-1)
    if last >= 0 and not is_currency(currency):
        raise FieldProblem("currency", "currency")
    tiers = []
    for row_number, row in enumerate(rows[: last + 1]):
        if not any(row.values()):
            raise FieldProblem(name(row_number, "up_to"), "tier_gap")
        tiers.append(
            {
                "up_to": _number(row["up_to"], name(row_number, "up_to")),
                "unit_amount": _unit_amount(row["unit_amount"], currency, row_number),
                "flat_amount": _flat(row["flat_amount"], currency, row_number),
            }
        )
    return tiers


def _decimal(raw: str, field: str, kind: str) -> Decimal:
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise FieldProblem(field, kind) from None
    if not value.is_finite() or value < 0:
        raise FieldProblem(field, kind)
    return value


def _number(raw: str, field: str) -> str | None:
    """Up to how many units; empty is the last row's "and above"."""
    return str(_decimal(raw, field, "tier_units")) if raw else None


def _unit_amount(raw: str, currency: str, row: int) -> str:
    if not raw:
        return "0"
    field = name(row, "unit_amount")
    minor = _decimal(raw, field, "unit_price").scaleb(exponent(currency))
    return format(minor.normalize(), "f")


def _flat(raw: str, currency: str, row: int) -> int:
    if not raw:
        return 0
    field = name(row, "flat_amount")
    minor = _decimal(raw, field, "amount").scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise FieldProblem(field, "amount")
    return int(minor)


def described(
    price: Mapping[str, Any],
    t: Callable[..., str],
    money: Callable[[int, str], str],
    locale: str,
) -> list[str]:
    """Each tier of a price as a sentence: "Over 10 up to 100 units: RON 0.50 each, plus
    RON 20.00"."""
    currency = str(price["currency"])
    lines = []
    start: Decimal | None = None
    for tier in price.get("tiers") or ():
        up_to = None if tier["up_to"] is None else Decimal(tier["up_to"])
        if up_to is None:
            span = (
                t("catalog.tier.all")
                if start is None
                else t("catalog.tier.above", first=_units(start))
            )
        elif start is None:
            span = t("catalog.tier.first", last=_units(up_to))
        else:
            span = t("catalog.tier.between", first=_units(start), last=_units(up_to))
        each = unit_price(Decimal(tier["unit_amount"]), currency, money, locale)
        line = t("catalog.tier.each", span=span, price=each)
        if tier.get("flat_amount"):
            line += t("catalog.tier.flat", fee=money(int(tier["flat_amount"]), currency))
        lines.append(line)
        start = up_to
    return lines


def unit_price(minor: Decimal, currency: str, money: Callable[[int, str], str], locale: str) -> str:
    """A price per unit in minor units, possibly a fraction of one: money when whole, else
    the amount with every decimal it has ("RON 0.005"), spaced as `money` spaces it."""
    if minor == minor.to_integral_value():
        return money(int(minor), currency)
    major = minor.scaleb(-exponent(currency))
    shown = format_currency(
        major, currency, locale=locale, currency_digits=False, decimal_quantization=False
    )
    return re.sub(r"^(-?[^\W\d]{2,})(?=[\d\-])", "\\1\xa0", shown)


def _units(value: Decimal) -> str:
    return format(value.normalize(), "f")
