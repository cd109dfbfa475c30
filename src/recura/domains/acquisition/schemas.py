from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from recura.domains.common.fields import (
    MAX_MINOR,
    Currency,
    MoneyOut,
    Schema,
    example,
    example_in,
)
from recura.domains.customers.schemas import Channel

MONTH_PATTERN = r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$"  # 1970-01 to 2999-12


def first_day(value: str) -> date:
    """ "2026-03" as its first day."""
    year, month = value.split("-")
    return date(int(year), int(month), 1)


def month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


Month = Annotated[str, StringConstraints(strip_whitespace=True, pattern=MONTH_PATTERN)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]

SPEND_EXAMPLE = {
    "month": "2026-03",
    "channel": "google_ads",
    "amount": {"amount": 250000, "currency": "RON"},
    "note": "Search, brand and competitors",
}


class SpendAmount(Schema):
    model_config = example_in({"amount": 250000, "currency": "RON"})

    # Strict: a true or "12" is not an amount.
    amount: int = Field(strict=True, ge=0, le=MAX_MINOR, description="Minor units (bani, cents).")
    currency: Currency


class AcquisitionSpendCreate(Schema):
    """One month's spend on a channel in a currency: sent again for the same month,
    channel and currency, it replaces the amount and note."""

    model_config = example_in(SPEND_EXAMPLE)

    month: Month = Field(description="YYYY-MM.")
    channel: Channel = Field(description="The same slugs as customers' acquisition_channel.")
    amount: SpendAmount
    note: Note | None = None


class AcquisitionSpendOut(BaseModel):
    model_config = example(
        {
            "object": "acquisition_spend",
            "id": "acqs_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            **SPEND_EXAMPLE,
            "livemode": False,
            "created_at": "2026-04-01T08:00:00Z",
            "updated_at": "2026-04-01T08:00:00Z",
        }
    )

    object: Literal["acquisition_spend"] = "acquisition_spend"
    id: str
    month: str
    channel: str
    amount: MoneyOut
    note: str | None
    livemode: bool
    created_at: datetime
    updated_at: datetime


class SpendImportOut(BaseModel):
    model_config = example({"rows": 12, "created": 10, "replaced": 2})

    rows: int
    created: int
    replaced: int
