"""Validated field types shared by request schemas: countries, currencies, locales, money."""

from __future__ import annotations

import unicodedata
import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

from babel import Locale
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
)

from recura.core.money import is_currency
from recura.domains.common import languages


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha())


def _country(value: str) -> str:
    code = value.upper()
    if code not in _countries():
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return code


def _currency(value: str) -> str:
    code = value.upper()
    if not is_currency(code):
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return code


def _locale(value: str) -> str:
    return str(languages.parse(value))


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"'{value}' is not an IANA time zone (e.g. 'Europe/Bucharest')")
    return value


def _metadata(value: dict[str, str]) -> dict[str, str]:
    if len(value) > 50:
        raise ValueError("at most 50 keys")
    for key, item in value.items():
        if not 1 <= len(key) <= 40:
            raise ValueError(f"key '{key[:40]}' must be 1 to 40 characters")
        if len(item) > 500:
            raise ValueError(f"value of '{key}' is longer than 500 characters")
    return value


def _text_instant(value: Any) -> Any:
    # Lax mode would read 0 or 1.7e9 as a Unix time: an instant is sent as RFC 3339 text.
    if not isinstance(value, str | datetime):
        raise ValueError("must be an RFC 3339 timestamp such as 2026-03-01T00:00:00Z")
    return value


# Instants are taken within these bounds: periods, trials and retries are worked out from
# them, and each must stay inside what datetime (and the database) holds, year 9999.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not EARLIEST <= instant < LATEST:
        raise ValueError(f"must be from {EARLIEST:%Y-%m-%d} and before {LATEST:%Y-%m-%d}")
    return instant


def one_line(value: str) -> str:
    # Names go into email headers (From, To): a line break there would end the header.
    if any(unicodedata.category(c) in _BREAKS for c in value):
        raise ValueError("must be one line, without line breaks or control characters")
    return value


_BREAKS = frozenset({"Cc", "Zl", "Zp"})


Country = Annotated[str, StringConstraints(min_length=2, max_length=2), AfterValidator(_country)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)]
LocaleCode = Annotated[str, StringConstraints(min_length=2, max_length=16), AfterValidator(_locale)]
# One of the languages Recura writes its texts in, from any tag naming it ("ro-RO" is "ro").
Language = Annotated[
    str, StringConstraints(min_length=2, max_length=16), AfterValidator(languages.supported)
]
TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_timezone)]
Metadata = Annotated[dict[str, str], AfterValidator(_metadata)]
# An instant with its offset, stored in UTC.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_instant), AfterValidator(_utc)]
Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$"),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(one_line),
]
MAX_MINOR = 10**15  # far above any real price, well inside a 64-bit column
# What a 32-bit column (PostgreSQL's integer) holds: the bound of any whole number a request
# sends without one of its own (versions, counts).
MAX_INT = 2**31 - 1


def _no_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            raise ValueError("must not contain NUL characters")
        if isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list | tuple | set):
            stack += list(item)
    return value


_NO_NUL = AfterValidator(_no_nul)
_AT_MOST_MAX_INT = Field(le=MAX_INT).metadata


class Schema(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error, not a silent no-op.

    For the same reason their booleans take only true and false: Pydantic's lax mode would
    read `"active": 0` or `"active": "no"` as false and quietly switch something off. No
    string may hold a NUL character, which PostgreSQL cannot store (SQLite can), and no whole
    number without a bound of its own may exceed MAX_INT, which every integer column holds.
    """

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for field in cls.model_fields.values():
            strict = any(isinstance(m, Strict) for m in field.metadata)
            if field.annotation in (bool, bool | None) and not strict:
                field.metadata.append(Strict())
                changed = True
            if not any(m is _NO_NUL for m in field.metadata):
                field.metadata.append(_NO_NUL)
                changed = True
            bounded = any(hasattr(m, "le") or hasattr(m, "lt") for m in field.metadata)
            if field.annotation in (int, int | None) and not bounded:
                # First: a constraint after a validator would apply to the whole union, None too.
                field.metadata[:0] = _AT_MOST_MAX_INT
                changed = True
        if changed:
            cls.model_rebuild(force=True)


class MoneyIn(Schema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount": 4900, "currency": "RON"}]}
    )

    amount: int = Field(ge=0, le=MAX_MINOR, description="Minor units (bani, cents).")
    currency: Currency


class MoneyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": 4900, "currency": "RON"}]})

    amount: int
    currency: str


def trim_zeros(value: Decimal) -> Decimal:
    """A stored decimal without its column's trailing zeros: 3, not 3.000000 (nor 3E+0)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def money_out(amount: int, currency: str) -> MoneyOut:
    return MoneyOut(amount=amount, currency=currency)


def example(*items: dict[str, Any]) -> ConfigDict:
    """Config with OpenAPI examples for a response schema."""
    return ConfigDict(json_schema_extra={"examples": list(items)})


def example_in(*items: dict[str, Any]) -> ConfigDict:
    """Config with OpenAPI examples for a request schema (unknown fields rejected)."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(items)})


TAX_RATE_KIND = (
    "The VAT rate category of what is sold: `standard`; `reduced`, the country's (higher) "
    "reduced rate; or `reduced_lower`, its lowest reduced rate. In Romania from 2025-08-01 "
    "both reduced kinds are 11 % (books, newspapers and magazines, e-books and their "
    "subscriptions among others). Where the customer's country has no reduced rate, the "
    "standard one applies; a sale not taxed in the seller's country (reverse charge, export) "
    "is not taxed whatever the kind."
)

SUPPLY_NATURE = (
    "What is sold, for VAT: `electronic`, a service supplied electronically (software, "
    "content, a subscription to either: the default); `services`, another service (a gym, "
    "consultancy), whose sale to a consumer in another EU state stays taxed in the seller's; "
    "or `goods`, whose sale to a company with a valid VAT number in another EU state is an "
    "exempt intra-community supply (category K, the customer's address printed as where they "
    "go) and whose sale outside the EU is an exempt export (G)."
)
