"""Who a party to an invoice is, as the API takes it: an address with its county (ISO 3166-2)
and Bucharest sector, a tax number, a trade-register number. The account (the seller) and
its customers (the buyers) share these shapes; `customers.billing` holds the rules that
check them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from recura.domains.common.fields import Country, Schema, example, example_in

VatId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=32)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

ADDRESS_EXAMPLE = {
    "line1": "Str. Memorandumului 28",
    "line2": "Etaj 3",
    "city": "Cluj-Napoca",
    "postal_code": "400114",
    "region": "Cluj",
    "county": "RO-CJ",
    "sector": None,
    "country": "RO",
}
RegistrationNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
]
_COUNTY = (
    "ISO 3166-2 code of the county (RO-CJ; RO-B is Bucharest): required for a Romanian "
    "address, checked against the country's subdivisions elsewhere."
)
_SECTOR = "Bucharest's sector, 1 to 6: required when the county is RO-B, refused otherwise."


class Address(Schema):
    model_config = example_in(ADDRESS_EXAMPLE)

    line1: Line
    line2: Line | None = None
    city: Line
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    region: Line | None = None
    county: Annotated[str, StringConstraints(min_length=3, max_length=6, to_upper=True)] | None = (
        Field(default=None, description=_COUNTY)
    )
    sector: int | None = Field(default=None, description=_SECTOR)
    country: Country


class AddressOut(BaseModel):
    model_config = example(ADDRESS_EXAMPLE)

    line1: str
    line2: str | None = None
    city: str
    postal_code: str | None = None
    region: str | None = None
    county: str | None = None
    sector: int | None = None
    country: str
