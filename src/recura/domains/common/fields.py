"""Validated field types shared by request schemas: countries, currencies, locales, money."""

from __future__ import annotations

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


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


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
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MAX_MINOR = 10**15  # far above any real price, well inside a 64-bit column


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


class Schema(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error, not a silent no-op.

    For the same reason their booleans take only true and false: Pydantic's lax mode would
    read `"active": 0` or `"active": "no"` as false and quietly switch something off. And no
    string may hold a NUL character, which PostgreSQL cannot store (SQLite can).
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


def plain(value: Decimal) -> Decimal:
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
