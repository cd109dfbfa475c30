"""Storing rates and reading the rate of a day. `convert` is the one conversion every
report (and VAT in RON of an invoice in another currency) goes through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy.orm import Session

from recura.core import exchange
from recura.core.exchange import NoRateError, Rate
from recura.core.money import Money
from recura.db.models import ExchangeRate
from recura.domains.common.errors import invalid
from recura.domains.common.tenant import Tenant
from recura.domains.exchange_rates import files, repository
from recura.domains.exchange_rates.schemas import ExchangeRateCreate, ExchangeRateOut
from recura.ids import new_ids

SOURCES = ("bnr", "csv", "api")


def store(
    session: Session, tenant: Tenant, rates: Sequence[Rate], source: str, now: datetime
) -> int:
    """Store `rates` (a pair's rate of a day replaces the one stored); returns how many."""
    rows = [
        {
            **tenant.row_keys(),
            "id": rate_id,
            "created_at": now,
            "day": rate.day,
            "base": rate.base,
            "quote": rate.quote,
            "rate": str(rate.rate),
            "source": source,
        }
        for rate, rate_id in zip(rates, new_ids("exchange_rate", len(rates)), strict=True)
    ]
    for chunk in range(0, len(rows), 1000):
        repository.upsert(session, rows[chunk : chunk + 1000])
    return len(rows)


def import_file(session: Session, tenant: Tenant, data: bytes, now: datetime) -> int:
    """Store the rates of a BNR XML or CSV file; a wrong file is a 422 naming the line."""
    try:
        source, rates = files.parse(data)
    except files.RateFileError as exc:
        raise invalid("", str(exc)) from None
    return store(session, tenant, rates, source, now)


def create(
    session: Session, tenant: Tenant, body: ExchangeRateCreate, now: datetime
) -> ExchangeRate:
    if body.base == body.quote:
        raise invalid("/quote", "base and quote must be different currencies")
    rate = Rate(body.date, body.base, body.quote, Decimal(body.rate))
    store(session, tenant, [rate], "api", now)
    found = repository.latest(session, tenant, body.date, body.base, body.quote)
    assert found is not None
    return found


def _known(session: Session, tenant: Tenant, day: date, *currencies: str) -> list[Rate]:
    return [
        _rate(r)
        for currency in currencies
        for r in repository.latest_with(session, tenant, day, currency)
    ]


def rate_on(session: Session, tenant: Tenant, day: date, source: str, target: str) -> Rate:
    """The rate in force on `day` from `source` to `target`: stored, its inverse, or
    through a currency both have rates with (NoRateError without one). A derived rate is
    shown to 10 decimals; conversions use the exact one (`convert`)."""
    known = _known(session, tenant, day, source, target)
    direct = exchange.rate_on(known, day, source, target)
    if direct is not None and direct.base == source:
        return direct
    factor = exchange.factor_on(source, target, day, known)
    shown = (Decimal(factor.numerator) / Decimal(factor.denominator)).quantize(Decimal("1E-10"))
    return Rate(day, source, target, shown)


def convert(session: Session, tenant: Tenant, amount: Money, target: str, day: date) -> Money:
    """`amount` in `target` by the rates in force on `day`, rounded once."""
    return exchange.convert_on(
        amount, target, day, _known(session, tenant, day, amount.currency, target)
    )


def factor(session: Session, tenant: Tenant, source: str, target: str, day: date) -> Fraction:
    """What one major unit of `source` is worth in `target` on `day`, exactly (by the
    rates `convert` uses; NoRateError without one)."""
    if source == target:
        return Fraction(1)
    return exchange.factor_on(source, target, day, _known(session, tenant, day, source, target))


def lookup(
    session: Session, tenant: Tenant, day: date, base: str, quote: str
) -> ExchangeRate | Rate:
    """The stored rate of the pair in force on `day`, or one derived (inverse, cross)."""
    if base == quote:
        raise invalid("/quote", "base and quote must be different currencies")
    stored = repository.latest(session, tenant, day, base, quote)
    if stored is not None:
        return stored
    try:
        return rate_on(session, tenant, day, base, quote)
    except NoRateError:
        raise invalid("/date", f"no {base}/{quote} rate on or before {day.isoformat()}") from None


def _rate(row: ExchangeRate) -> Rate:
    return Rate(row.day, row.base, row.quote, Decimal(row.rate))


def to_out(rate: ExchangeRate | Rate) -> ExchangeRateOut:
    if isinstance(rate, Rate):
        return ExchangeRateOut(
            id="",
            date=rate.day,
            base=rate.base,
            quote=rate.quote,
            rate=str(rate.rate),
            source="derived",
        )
    return ExchangeRateOut(
        id=rate.id,
        date=rate.day,
        base=rate.base,
        quote=rate.quote,
        rate=rate.rate,
        source=rate.source,
    )
