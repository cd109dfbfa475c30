from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints

from recura.domains.common.fields import (
    Country,
    Currency,
    LocaleCode,
    Name,
    Schema,
    TimeZone,
    example,
    example_in,
)

SeriesPrefix = Annotated[
    str, StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Z0-9][A-Z0-9-]*$")
]

ACCOUNT_EXAMPLE = {
    "object": "account",
    "id": "acct_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "legal_name": "Norditech Software SRL",
    "country": "RO",
    "default_currency": "RON",
    "timezone": "Europe/Bucharest",
    "locale": "ro",
    "invoice_series_prefix": "NDT",
    "livemode": False,
    "created_at": "2026-01-15T09:30:00Z",
}


class AccountCreate(Schema):
    model_config = example_in(
        {
            "legal_name": "Norditech Software SRL",
            "country": "RO",
            "default_currency": "RON",
            "timezone": "Europe/Bucharest",
            "locale": "ro",
            "invoice_series_prefix": "NDT",
        }
    )

    legal_name: Name
    country: Country
    default_currency: Currency
    timezone: TimeZone = "UTC"
    locale: LocaleCode = "en"
    invoice_series_prefix: SeriesPrefix = "INV"


class AccountUpdate(Schema):
    model_config = example_in({"legal_name": "Norditech Cloud SRL", "invoice_series_prefix": "NDC"})

    legal_name: Name | None = None
    country: Country | None = None
    default_currency: Currency | None = None
    timezone: TimeZone | None = None
    locale: LocaleCode | None = None
    invoice_series_prefix: SeriesPrefix | None = None


class AccountOut(BaseModel):
    model_config = example(ACCOUNT_EXAMPLE)

    object: Literal["account"] = "account"
    id: str
    legal_name: str
    country: str
    default_currency: str
    timezone: str
    locale: str
    invoice_series_prefix: str
    livemode: bool
    created_at: datetime
