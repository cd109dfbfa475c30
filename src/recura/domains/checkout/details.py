"""The subscriber's details on the checkout page: who is billed (a person or a company),
how to reach them, and the billing address, checked field by field.

`validate` takes what the page's form sent, as a mapping (the address nested under
`address`), and gives `SubscriberDetails` or raises `BillingDetailsInvalid` naming every
field at fault with a message key; `messages(locale)` on it gives the texts to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pycountry
from email_validator import EmailNotValidError, validate_email

from recura.domains.common.parties import Address
from recura.domains.customers import billing
from recura.domains.customers.billing import Problem
from recura.domains.customers.schemas import CustomerCreate, CustomerUpdate

NAME_LIMIT = 200
LINE_LIMIT = 200
POSTAL_LIMIT = 20
NUMBER_LIMIT = 64


@dataclass(frozen=True, slots=True)
class BillingAddress:
    line1: str
    city: str
    country: str
    line2: str | None = None
    postal_code: str | None = None
    county: str | None = None
    sector: int | None = None


@dataclass(frozen=True, slots=True)
class SubscriberDetails:
    """Checked details, in the form they are stored: compact tax numbers, upper-case codes."""

    email: str
    kind: str
    address: BillingAddress
    name: str | None = None
    legal_name: str | None = None
    vat_id: str | None = None
    registration_number: str | None = None
    national_id: str | None = None  # a person's CNP, in Romania only

    def stored(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> SubscriberDetails:
        return cls(**{**data, "address": BillingAddress(**data["address"])})

    def customer_create(self, locale: str, currency: str) -> CustomerCreate:
        return CustomerCreate(
            email=self.email,
            locale=locale,
            currency=currency,
            **self._billing(),
        )

    def customer_update(self, *, email: bool) -> CustomerUpdate:
        """The billing fields of an existing customer; its email too when `email`."""
        fields = self._billing()
        if email:
            fields["email"] = self.email
        return CustomerUpdate(**fields)

    def _billing(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "legal_name": self.legal_name,
            "vat_id": self.vat_id,
            "registration_number": self.registration_number,
            "national_id": self.national_id,
            "country": self.address.country,
            "address": Address(**{k: v for k, v in asdict(self.address).items()}),
        }


def _text(
    data: Mapping[str, Any], name: str, pointer: str, limit: int, problems: list[Problem]
) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    found = " ".join(str(value).split())  # one line, single spaces
    if len(found) > limit:
        problems.append(Problem(pointer, "field.too_long", {"limit": limit}))
        return None
    return found or None


def _email(value: str | None, problems: list[Problem]) -> str:
    if not value:
        problems.append(Problem("/email", "email.required"))
        return ""
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError:
        problems.append(Problem("/email", "email.invalid"))
        return value


def _country(value: str | None, problems: list[Problem]) -> str:
    if not value:
        problems.append(Problem("/address/country", "country.required"))
        return ""
    found = pycountry.countries.get(alpha_2=value.upper()) if len(value) == 2 else None
    if found is None:
        problems.append(Problem("/address/country", "country.invalid"))
        return value
    return str(found.alpha_2)


def _sector(value: Any) -> Any:
    """A sector as the form sends it ("3") is a number; anything else is left for the rule
    to refuse."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value or None


def _address(raw: Mapping[str, Any], problems: list[Problem]) -> BillingAddress:
    def text(name: str, limit: int = LINE_LIMIT) -> str | None:
        return _text(raw, name, f"/address/{name}", limit, problems)

    line1, city = text("line1"), text("city")
    if line1 is None and not any(p.pointer == "/address/line1" for p in problems):
        problems.append(Problem("/address/line1", "line1.required"))
    if city is None and not any(p.pointer == "/address/city" for p in problems):
        problems.append(Problem("/address/city", "city.required"))
    country = _country(text("country", 2), problems)
    county = text("county", 6)
    place = {
        "country": country,
        "county": county.upper() if county else None,
        "sector": _sector(raw.get("sector")),
    }
    if country:
        problems += billing.check_place(place)
    return BillingAddress(
        line1=line1 or "",
        city=city or "",
        country=country,
        line2=text("line2"),
        postal_code=text("postal_code", POSTAL_LIMIT),
        county=place["county"],
        sector=place["sector"] if isinstance(place["sector"], int) else None,
    )


def validate(data: Mapping[str, Any], *, with_email: bool = True) -> SubscriberDetails:
    """Checked details, or `BillingDetailsInvalid` with every problem found.

    A company gives its legal name and, in Romania, its CUI or RO VAT number (elsewhere a
    VAT number is optional); its trade-register number is optional, ONRC-checked in
    Romania. A person's company fields are ignored. A person in Romania may give a CNP
    (`stdnum.ro.cnp`), which the e-invoice names them by; anyone else's is ignored. Every
    subscriber gives an address: street, city and country, and in Romania the county
    (Bucharest: its sector).
    Without `with_email` (the portal's billing details, whose address changes apart) the
    email is neither read nor checked, and is empty."""
    problems: list[Problem] = []
    email = _email(_text(data, "email", "/email", 320, problems), problems) if with_email else ""
    name = _text(data, "name", "/name", NAME_LIMIT, problems)
    kind = str(data.get("kind") or "individual")
    if kind not in billing.KINDS:
        problems.append(Problem("/kind", "kind.invalid"))
    raw_address = data.get("address")
    address = _address(raw_address if isinstance(raw_address, Mapping) else {}, problems)
    legal_name = vat_id = number = None
    if kind == "company":
        legal_name = _text(data, "legal_name", "/legal_name", NAME_LIMIT, problems)
        if legal_name is None and not any(p.pointer == "/legal_name" for p in problems):
            problems.append(Problem("/legal_name", "legal_name.required"))
        typed = _text(data, "vat_id", "/vat_id", 32, problems)
        if typed:
            vat_id, found = billing.tax_id(typed, address.country or None)
            problems += found
        elif address.country == billing.ROMANIA:
            problems.append(Problem("/vat_id", "vat_id.required"))
        typed = _text(data, "registration_number", "/registration_number", NUMBER_LIMIT, problems)
        if typed:
            number, found = billing.registration_number(typed, address.country or None)
            problems += found
    national_id = None
    if kind == "individual" and address.country == billing.ROMANIA:
        typed = _text(data, "national_id", "/national_id", 20, problems)
        if typed:
            national_id, found = billing.national_id(typed)
            problems += found
    billing.raise_if(problems)
    return SubscriberDetails(
        email=email,
        kind=kind,
        address=address,
        name=name,
        legal_name=legal_name,
        vat_id=vat_id,
        registration_number=number,
        national_id=national_id,
    )
