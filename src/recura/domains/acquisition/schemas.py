from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from recura.domains.common.fields import MoneyIn, MoneyOut, Schema, example, example_in
from recura.domains.customers.schemas import Channel

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def first_day(value: str) -> date:
    """ "2026-03" as its first day."""
    year, month = value.split("-")
    return date(int(year), int(month), 1)


def month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month(value: str) -> str:
    if first_day(value).year < 1970:
        raise ValueError("must be 1970-01 or later")
    return value


Month = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=MONTH_PATTERN),
    AfterValidator(_month),
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]

SPEND_EXAMPLE = {
    "month": "2026-03",
    "channel": "google_ads",
    "amount": {"amount": 250000, "currency": "RON"},
    "note": "Search, brand and competitors",
}


class AcquisitionSpendCreate(Schema):
    """One month's spend on a channel in a currency: sent again for the same month,
    channel and currency, it replaces the amount and note."""

    model_config = example_in(SPEND_EXAMPLE)

    month: Month = Field(description="YYYY-MM.")
    channel: Channel = Field(description="The same slugs as customers' acquisition_channel.")
    amount: MoneyIn
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
