"""What the checkout pages show, worked out from the checkout's domain: the summary of the
first invoice and the renewal, the details form's fields and options in the visitor's
language, and the form's fields turned into what `details.validate` reads."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pycountry
from babel import Locale

from recura.core.invoicing import InvoiceDraft
from recura.domains.checkout.summary import Summary
from recura.domains.customers import billing
from recura.portal import pages

# The form's flat names -> where `details.validate` reads them.
PERSON = ("email", "name", "kind")
INDIVIDUAL = ("national_id",)  # a person's in Romania
COMPANY = ("legal_name", "vat_id", "registration_number")
ADDRESS = ("line1", "line2", "postal_code", "city", "country", "county", "sector")
FIELDS = PERSON + INDIVIDUAL + COMPANY + ADDRESS


@dataclass(frozen=True, slots=True)
class Line:
    description: str
    amount: int


@dataclass(frozen=True, slots=True)
class Bill:
    """One invoice as the summary shows it."""

    currency: str
    lines: list[Line]
    discounts: list[Line]
    subtotal: int
    taxes: list[Line]
    total: int
    credit: int
    due: int


@dataclass(frozen=True, slots=True)
class SummaryView:
    plan_name: str
    first: Bill
    trial_end: datetime | None
    renews_at: datetime
    renewal: Bill
    every: str
    metered: bool
    promotion_code: str | None


def bill(draft: InvoiceDraft, locale: str) -> Bill:
    def rate(value: Any) -> str:
        return pages.text("checkout.vat", locale, rate=f"{value.normalize():f}")

    return Bill(
        currency=draft.currency,
        lines=[Line(line.description, line.amount) for line in draft.lines],
        discounts=[Line(d.description, d.amount) for d in draft.discounts if d.amount],
        subtotal=draft.subtotal,
        taxes=[Line(rate(t.rate), t.tax_amount) for t in draft.tax_lines],
        total=draft.total,
        credit=draft.credit_applied,
        due=draft.amount_due,
    )


def summary_view(quote: Summary, locale: str) -> SummaryView:
    unit, count = quote.interval_unit, quote.interval_count
    key = f"checkout.every_{unit}" if count == 1 else f"checkout.every_{unit}s"
    return SummaryView(
        plan_name=quote.plan.name,
        first=bill(quote.first, locale),
        trial_end=quote.trial_end,
        renews_at=quote.renews_at,
        renewal=bill(quote.renewal, locale),
        every=pages.text(key, locale, count=count),
        metered=quote.metered,
        promotion_code=quote.promotion_code.code if quote.promotion_code else None,
    )


def _folded(name: str) -> str:
    """A name without its accents, for sorting Ș with S as a reader expects."""
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))


def countries(locale: str) -> list[tuple[str, str]]:
    """(code, name) of every country, named in `locale`, in its alphabetical order."""
    names = Locale.parse(locale).territories
    found = []
    for country in pycountry.countries:
        code = str(country.alpha_2)
        found.append((code, str(names.get(code) or country.name)))
    return sorted(found, key=lambda item: _folded(item[1]).casefold())


def counties(locale: str) -> list[tuple[str, str]]:
    """Romania's counties (ISO 3166-2:RO): their own names, Bucharest's in `locale`."""
    found = [
        (code, pages.text("checkout.bucharest", locale) if code == billing.BUCHAREST else name)
        for code, name in billing.counties().items()
    ]
    return sorted(found, key=lambda item: _folded(item[1]).casefold())


def flat(details: Mapping[str, Any]) -> dict[str, str]:
    """Saved or initial details as the form's fields."""
    address = details.get("address") or {}
    values = {name: details.get(name) for name in PERSON + INDIVIDUAL + COMPANY}
    values |= {name: address.get(name) for name in ADDRESS}
    values["kind"] = values.get("kind") or "individual"
    return {k: "" if v is None else str(v) for k, v in values.items()}


def posted(fields: Mapping[str, str]) -> dict[str, Any]:
    """The form as `details.validate` reads it: empty fields absent, and what the page hid
    left out (a county outside Romania, a sector outside Bucharest, a person's company
    fields, a CNP outside Romania or of a company), so a value typed before a change of mind
    is not held against anyone."""
    data: dict[str, Any] = {n: fields.get(n, "").strip() or None for n in PERSON}
    if data.get("kind") == "company":
        data |= {n: fields.get(n, "").strip() or None for n in COMPANY}
    address = {n: fields.get(n, "").strip() or None for n in ADDRESS}
    if data.get("kind") != "company" and (address.get("country") or "").upper() == billing.ROMANIA:
        data |= {n: fields.get(n, "").strip() or None for n in INDIVIDUAL}
    if (address.get("country") or "").upper() != billing.ROMANIA:
        address["county"] = None
    if (address.get("county") or "").upper() != billing.BUCHAREST:
        address["sector"] = None
    data["address"] = address
    return data


def field_errors(messages: Mapping[str, str]) -> dict[str, str]:
    """Errors by the form's field name ("address/county" -> "county")."""
    return {pointer.rpartition("/")[2]: text for pointer, text in messages.items()}
