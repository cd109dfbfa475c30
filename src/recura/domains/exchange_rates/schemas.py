from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from recura.core.money import is_currency

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
RateText = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,12}(\.[0-9]{1,12})?$",
        max_length=25,
        description="1 base = rate quote, as an exact decimal string.",
        examples=["4.9771"],
    ),
]


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _text_day(value: object) -> object:
    # Lax mode would read 0 as a Unix time: a day is sent as ISO 8601 text.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("must be a date such as 2026-01-09")


Day = Annotated[date, BeforeValidator(_text_day), Field(ge=date(1990, 1, 1), le=date(8999, 12, 31))]


def _currency(value: str) -> str:
    if not is_currency(value):
        raise ValueError(f"{value!r} is not an ISO 4217 currency")
    return value


class ExchangeRateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"date": "2026-01-09", "base": "EUR", "quote": "RON", "rate": "4.9771"}]
        },
    )

    date: Day
    base: CurrencyCode
    quote: CurrencyCode
    rate: RateText

    _codes = field_validator("base", "quote")(_currency)

    @field_validator("rate")
    @classmethod
    def _positive(cls, value: str) -> str:
        if Decimal(value) <= 0:
            raise ValueError("a rate must be above zero")
        return value


class ExchangeRateOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "fx_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
                    "object": "exchange_rate",
                    "date": "2026-01-09",
                    "base": "EUR",
                    "quote": "RON",
                    "rate": "5.0865",
                    "source": "bnr",
                }
            ]
        }
    )

    id: str
    object: str = "exchange_rate"
    date: date
    base: str
    quote: str
    rate: str
    source: str
