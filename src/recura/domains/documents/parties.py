"""Who an invoice is from and to, as the invoice page and the PDF print them: the merchant
as the account knows it (legal name, tax and trade-register numbers, share capital,
registered office, bank account), the customer as billed (a person, or a company with its
tax and trade-register numbers), their address with the county's and country's names in
the reader's language; and the VAT of each rate."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal

from recura import i18n
from recura.core.money import exponent
from recura.db.models import Account, Customer, Invoice, InvoiceLine
from recura.domains.accounts.payee import payee_for
from recura.domains.customers import billing

DOMAIN = "invoices"


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    lines: list[str] = field(default_factory=list)
    vat_id: str | None = None
    registration_number: str | None = None
    email: str | None = None
    # The seller's share capital as read ("200 RON") and bank account; an individual
    # buyer's personal numeric code (CNP), when the customer has one.
    share_capital: str | None = None
    iban: str | None = None
    bic: str | None = None
    national_id: str | None = None


@dataclass(frozen=True, slots=True)
class TaxLine:
    rate: str  # "21", "9,5" as the reader writes numbers
    net: int
    tax: int


def country_name(code: str | None, locale: str) -> str:
    if not code:
        return ""
    return str(Locale.parse(locale).territories.get(code.upper(), code.upper()))


def address_lines(address: dict[str, Any] | None, locale: str) -> list[str]:
    """An address as printed: street, city with postal code, county (and sector), country."""
    if not address:
        return []
    lines = [address.get("line1") or "", address.get("line2") or ""]
    lines.append(" ".join(p for p in (address.get("postal_code"), address.get("city")) if p))
    county = address.get("county")
    if county:
        name = billing.subdivisions(address.get("country") or "").get(county, county)
        sector = address.get("sector")
        place = i18n.text(DOMAIN, "party.sector", locale, sector=sector) if sector else ""
        lines.append(f"{name}, {place}" if place else name)
    lines.append(country_name(address.get("country"), locale))
    return [line for line in lines if line]


def amount(minor: int, currency: str, locale: str) -> str:
    formatted = format_currency(Decimal(minor).scaleb(-exponent(currency)), currency, locale=locale)
    # CLDR's currency spacing, which Babel leaves out: "RON 49.00", not "RON49.00" (as the
    # emails print it).
    return re.sub(r"^(-?[^\W\d]{2,})(?=[\d\-])", "\\1\xa0", formatted)


def seller(account: Account, locale: str, currency: str | None = None) -> Party:
    lines = address_lines(account.address, locale) or [country_name(account.country, locale)]
    capital = None
    if account.share_capital is not None and account.share_capital_currency:
        capital = amount(account.share_capital, account.share_capital_currency, locale)
    payee = payee_for(account, currency or account.default_currency)
    return Party(
        name=account.legal_name,
        lines=lines,
        vat_id=account.vat_id,
        registration_number=account.registration_number,
        share_capital=capital,
        iban=payee.iban,
        bic=payee.bic,
    )


def buyer(customer: Customer, locale: str) -> Party:
    company = customer.kind == "company"
    name = (customer.legal_name if company else None) or customer.name or customer.email or ""
    address = address_lines(customer.address, locale)
    if not address and customer.country:
        address = [country_name(customer.country, locale)]
    # An individual's CNP, once customers can hold one (`national_id`).
    national_id = None if company else getattr(customer, "national_id", None)
    return Party(
        name=name,
        lines=([customer.name] if company and customer.name else []) + address,
        vat_id=customer.vat_id,
        registration_number=customer.registration_number if company else None,
        email=customer.email,
        national_id=national_id,
    )


def mentions(lines: Sequence[InvoiceLine], locale: str) -> list[str]:
    """What the invoice must say about its VAT, once each in the order the lines give it:
    why none is charged (reverse charge, exemption) and why some is (a VAT number VIES
    could not confirm or found invalid, the customer's country's rate)."""
    keys: list[str] = []
    for line in lines:
        for key in (line.tax_exemption_key, *(line.tax_notes or [])):
            if key and key not in keys:
                keys.append(key)
    return [i18n.text("invoices", key, locale) for key in keys]


def rate_text(rate: object, locale: str) -> str:
    try:
        return str(format_decimal(Decimal(str(rate)), locale=locale))
    except (InvalidOperation, ValueError):
        return str(rate)


def tax_lines(invoice: Invoice, locale: str = "en") -> list[TaxLine]:
    return [
        TaxLine(rate_text(e.get("rate", "0"), locale), int(e.get("net", 0)), int(e.get("tax", 0)))
        for e in invoice.tax_lines or []
    ]
