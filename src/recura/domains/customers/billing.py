"""Rules for who a customer is billed as: a person or a company, its tax, personal and
trade-register numbers, the county and Bucharest sector of a Romanian address, and the
identifier an e-invoice names the buyer by (`buyer_identifier`).

Each rule gives `Problem`s naming the field and a message key (`messages.text`), so the
checkout page can say it in the subscriber's language and the API in English. Numbers are
checked with python-stdnum and counties against ISO 3166-2 (pycountry): no hand-written
tables or checksums.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import pycountry
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.ro import cnp, cui, onrc
from stdnum.util import clean

from recura.domains.common.errors import FieldError, InvalidError
from recura.domains.common.vat import normalize_vat_id
from recura.domains.customers import messages

KINDS = ("individual", "company")
ROMANIA = "RO"
# ANAF's identifier for a Romanian person who gave no CNP: thirteen zeros, the CNP's length
# (OUG 120/2021 as amended for B2C e-invoices; ANAF's e-Factura B2C guidance).
NO_CNP = "0" * 13
BUCHAREST = "RO-B"
SECTORS = range(1, 7)


@dataclass(frozen=True, slots=True)
class Problem:
    """One field's problem: `pointer` is a JSON pointer ("/address/county")."""

    pointer: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def message(self, locale: str) -> str:
        return messages.text(self.key, locale, **self.values)


class BillingDetailsInvalid(InvalidError):
    """Billing details with problems: an InvalidError (the API's 422, in English) that also
    carries each problem's message key for pages that speak the subscriber's language."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__([FieldError(p.pointer, p.message("en")) for p in problems])
        self.problems = problems

    def messages(self, locale: str) -> dict[str, str]:
        """Field name (its pointer without the leading slash) -> the text in `locale`."""
        return {p.pointer.lstrip("/"): p.message(locale) for p in self.problems}


@lru_cache(maxsize=8)
def subdivisions(country: str) -> dict[str, str]:
    """ISO 3166-2 code -> name of the country's subdivisions (Romania's 41 counties and
    Bucharest)."""
    found = pycountry.subdivisions.get(country_code=country.upper()) or []  # type: ignore[no-untyped-call]
    return {str(s.code): str(s.name) for s in found}


def counties() -> dict[str, str]:
    """Romania's counties and Bucharest, by code, sorted by name: the county list a page shows."""
    return dict(sorted(subdivisions(ROMANIA).items(), key=lambda item: item[1]))


def check_place(
    address: Mapping[str, Any], pointer: str = "/address", *, county_required: bool = True
) -> list[Problem]:
    """The county and sector of an address: a Romanian county is an ISO 3166-2:RO code
    (RO-CJ, RO-B), required unless `county_required` is off (the API keeps accepting
    addresses written before counties were asked); elsewhere one may be given and must be
    the country's. A sector (1 to 6) is required in Bucharest and refused anywhere else."""
    country = str(address.get("country") or "").upper()
    county = address.get("county")
    sector = address.get("sector")
    problems = []
    if county is None:
        if country == ROMANIA and county_required:
            problems.append(Problem(f"{pointer}/county", "county.required"))
    elif str(county).upper() not in subdivisions(country):
        problems.append(Problem(f"{pointer}/county", "county.invalid"))
    in_bucharest = county is not None and str(county).upper() == BUCHAREST
    if sector is None:
        if in_bucharest:
            problems.append(Problem(f"{pointer}/sector", "sector.required"))
    elif not in_bucharest:
        problems.append(Problem(f"{pointer}/sector", "sector.not_here"))
    elif not isinstance(sector, int) or sector not in SECTORS:
        problems.append(Problem(f"{pointer}/sector", "sector.required"))
    return problems


def tax_id(value: str, country: str | None, pointer: str = "/vat_id") -> tuple[str, list[Problem]]:
    """A company's tax number in its compact form. In Romania: a CUI (digits, `stdnum.ro.cui`)
    or, with the RO prefix, a VAT number (`stdnum.eu.vat`); in another EU country its VAT
    number (the prefix added when missing); elsewhere what the country's scheme accepts."""
    compact = clean(value, " -./,").upper()
    prefix = compact[:2] if compact[:2].isalpha() else None
    if country and prefix and prefix != country.upper() and (prefix, country) != ("EL", "GR"):
        return compact, [Problem(pointer, "vat_id.other_country")]
    if (country or "").upper() == ROMANIA and prefix is None:
        try:
            return str(cui.validate(compact)), []
        except ValidationError:
            return compact, [Problem(pointer, "vat_id.invalid_cui")]
    member = (prefix or (country or "")).lower()
    if member in eu_vat.MEMBER_STATES or member in ("el", "gr"):
        if prefix is None:
            compact = ("EL" if member == "gr" else member.upper()) + compact
        try:
            return str(eu_vat.validate(compact)), []
        except ValidationError:
            return compact, [Problem(pointer, "vat_id.invalid")]
    try:
        return normalize_vat_id(value, country), []
    except ValueError:
        return compact, [Problem(pointer, "vat_id.invalid")]


def registration_number(
    value: str, country: str | None, pointer: str = "/registration_number"
) -> tuple[str, list[Problem]]:
    """A trade-register number: Romania's ONRC number (J40/12345/2020, or the newer
    J2020012345400 form) checked with `stdnum.ro.onrc`; elsewhere kept as typed."""
    if (country or "").upper() != ROMANIA:
        return value.strip(), []
    try:
        return str(onrc.validate(value)), []
    except ValidationError:
        return value.strip(), [Problem(pointer, "registration_number.invalid")]


def national_id(value: str, pointer: str = "/national_id") -> tuple[str, list[Problem]]:
    """A Romanian personal numeric code (CNP), checked with `stdnum.ro.cnp`: its digits, birth
    date, county and check digit. Thirteen zeros, ANAF's stand-in for no CNP, is not one: a
    person without a CNP leaves it empty."""
    compact = clean(value, " -.").strip()
    if compact == NO_CNP:
        return compact, [Problem(pointer, "national_id.invalid")]
    try:
        return str(cnp.validate(compact)), []
    except ValidationError:
        return compact, [Problem(pointer, "national_id.invalid")]


class Identified(Protocol):
    """What `buyer_identifier` reads of a customer (the model, or a record of it)."""

    @property
    def kind(self) -> str: ...
    @property
    def country(self) -> str | None: ...
    @property
    def vat_id(self) -> str | None: ...
    @property
    def national_id(self) -> str | None: ...


def buyer_identifier(customer: Identified) -> str | None:
    """The identifier the e-invoice names the buyer by (UBL BT-47/BT-48, the Fiscal Code's
    art. 319(20)(e) mention): a company's VAT number or CUI as stored; a person's CNP, else
    their tax number when they bill under one (a sole trader), else, for a Romanian person,
    ANAF's thirteen zeros. None: nothing to name a foreign person by."""
    if customer.kind == "company":
        return customer.vat_id or None
    if customer.national_id:
        return customer.national_id
    if customer.vat_id:
        return customer.vat_id
    if (customer.country or "").upper() == ROMANIA:
        return NO_CNP
    return None


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise BillingDetailsInvalid(problems)
