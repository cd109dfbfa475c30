"""The VAT decision for one invoice line: category, rate, and what the invoice must say.

`decide(seller, buyer, supply)` is pure and total for a seller established in an EU state
and a supply dated inside the rate table (`vat_rates.TABLE_START` on). Every other part of
Recura (renewals, prorations, credit notes, previews, checkout) takes its rate from here.

Categories are EN 16931's (UNTDID 5305 subset, BT-151/BT-118); exemption reason codes are
the CEF VATEX list (BT-121). Texts are catalog keys of the `invoices` domain, so the invoice
prints them in its language; keys ending in `.ro` cite the Romanian Fiscal Code (Law
227/2015) and are chosen for a seller established in Romania.

How the law is read (Directive 2006/112/EC, "the Directive"; Fiscal Code, "CF"):

- Services are electronically supplied by default (a subscription to software or content:
  Directive art. 58, CF art. 278). `Nature.SERVICES` is for other services (a gym, a
  consultancy retainer), whose B2C place of supply stays with the seller (art. 45); the
  art. 59 list (consultancy and the like to consumers outside the EU) is not modelled.
- A buyer counts as a taxable person for EU place-of-supply rules only with a VAT number
  confirmed valid (Implementing Regulation 282/2011 art. 18): a number not confirmed, or
  found invalid, leaves the buyer a consumer. So an unconfirmed number is never zero-rated:
  VAT is charged as for a consumer and the invoice says why. For a seller under the
  threshold and outside OSS (the usual case) that is the seller's own rate; for one in OSS
  or over the threshold, the customer's country's rate.
- Domestic supplies are taxed at the seller's rate, business or consumer alike. Domestic
  reverse charge (CF art. 331) covers listed goods and services (cereals, scrap, wood,
  electricity for traders, mobile phones, ...), never a subscription, so it is not decided.
- EU B2B services with a valid VAT number: place of supply at the customer (art. 44, CF
  art. 278(2)), customer liable (art. 196): AE, 0 %, "reverse charge" (art. 226(11a)).
  Goods: intra-Community supply, exempt (art. 138, CF art. 294(2)(a)): K.
- EU B2C: the customer's state's rate when the seller is in OSS (registering is the option
  of art. 59c(3)) or over the EUR 10,000 threshold of art. 59c (goods: art. 33); otherwise
  the seller's rate.
- Outside the EU: services are not subject to EU VAT - B2B by art. 44, B2C electronic by
  art. 59 -, category O; B2C other services stay taxed at the seller's rate (art. 45). Goods
  leaving the EU are an exempt export (art. 146, CF art. 294(1)(a)): G.
- A seller not registered for VAT under the small enterprises' scheme (CF art. 310,
  Directive art. 282-292) charges none: category O with VATEX-EU-O, as Romanian e-invoices
  do for sellers without a VAT number. EN 16931 then requires (BR-O-2, BR-O-11) that the
  invoice carries no seller or buyer VAT identifier and no other category; the e-invoice
  builder must honour that. The same holds for a Romanian seller's exports of services (O).
- The rate is the one in force when the supply takes place (Directive art. 93). Callers pass
  the period's start: a subscription is billed in advance, so its chargeable event is the
  invoice or payment due at the period's start (CF art. 281(8), 282). A period starting
  before 2025-08-01 keeps 19 % in Romania even when invoiced, credited or previewed later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from recura.core.vat_rates import EU_COUNTRIES, CountryRates, UnknownRate, rates_on

__all__ = [
    "Buyer",
    "BuyerKind",
    "Category",
    "Decision",
    "Nature",
    "RateKind",
    "Seller",
    "Supply",
    "TaxError",
    "VatIdStatus",
    "decide",
]

ROMANIA = "RO"


class TaxError(ValueError):
    """No decision can be made: a seller outside the EU, or a date before the rate table."""


class Category(StrEnum):
    """EN 16931 VAT category codes (BT-151)."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    NOT_SUBJECT = "O"


class BuyerKind(StrEnum):
    INDIVIDUAL = "individual"
    COMPANY = "company"


class VatIdStatus(StrEnum):
    """What is known of the buyer's VAT number: none given, valid or invalid in VIES, or
    not checked (VIES unavailable, or not asked yet)."""

    NONE = "none"
    VALID = "valid"
    INVALID = "invalid"
    UNCHECKED = "unchecked"


class RateKind(StrEnum):
    """The plan's rate category: standard, the country's (higher) reduced rate, or its lowest
    reduced rate. Where a country has no reduced rate, the standard one applies."""

    STANDARD = "standard"
    REDUCED = "reduced"
    REDUCED_LOWER = "reduced_lower"


class Nature(StrEnum):
    ELECTRONIC = "electronic"
    SERVICES = "services"
    GOODS = "goods"


@dataclass(frozen=True, slots=True)
class Seller:
    """The merchant: its country, whether registered for VAT, in the OSS union scheme, and
    over the EUR 10,000 EU-wide B2C threshold (this or last calendar year)."""

    country: str
    vat_registered: bool = True
    oss_registered: bool = False
    over_threshold: bool = False


@dataclass(frozen=True, slots=True)
class Buyer:
    """The customer; `country` None (unknown) is treated as the seller's own."""

    country: str | None
    kind: BuyerKind = BuyerKind.INDIVIDUAL
    vat_id: VatIdStatus = VatIdStatus.NONE


@dataclass(frozen=True, slots=True)
class Supply:
    """What one line sells: on which date (the period's start), at which rate kind."""

    on: date
    rate_kind: RateKind = RateKind.STANDARD
    nature: Nature = Nature.ELECTRONIC


@dataclass(frozen=True, slots=True)
class Decision:
    """The VAT of one line.

    `rate` is a percentage. `country` is where the VAT is due (None when none is).
    `exemption_code`/`exemption_key` are BT-121 and the catalog key of BT-120: present for
    every category but S and Z. `notes` are further mentions the invoice prints (catalog
    keys), e.g. why VAT was charged to a company; never put in BT-120.
    """

    category: Category
    rate: Decimal
    country: str | None
    exemption_code: str | None = None
    exemption_key: str | None = None
    notes: tuple[str, ...] = ()


_ZERO = Decimal(0)


def _key(name: str, seller: Seller) -> str:
    # The Fiscal Code applies to a seller established in Romania; others cite the Directive.
    return f"tax.{name}.ro" if seller.country == ROMANIA else f"tax.{name}"


def _rate(rates: CountryRates, kind: RateKind) -> Decimal:
    if kind is RateKind.STANDARD or not rates.reduced:
        return rates.standard
    return rates.reduced[0] if kind is RateKind.REDUCED else rates.reduced[-1]


def _charged(country: str, supply: Supply, notes: tuple[str, ...] = ()) -> Decision:
    try:
        rates = rates_on(country, supply.on)
    except UnknownRate as exc:
        raise TaxError(str(exc)) from exc
    return Decision(Category.STANDARD, _rate(rates, supply.rate_kind), country, notes=notes)


def _zero(category: Category, code: str, key: str) -> Decision:
    return Decision(category, _ZERO, None, code, key)


def decide(seller: Seller, buyer: Buyer, supply: Supply) -> Decision:
    """The VAT category, rate and mentions of one line (see the module's reading of the law)."""
    seller = Seller(
        seller.country.upper(), seller.vat_registered, seller.oss_registered, seller.over_threshold
    )
    if seller.country not in EU_COUNTRIES:
        raise TaxError(f"no VAT rules for a seller in {seller.country!r}")
    # Validates the date against the table even where no rate is charged.
    _charged(seller.country, supply)
    if not seller.vat_registered:
        return _zero(Category.NOT_SUBJECT, "VATEX-EU-O", _key("small_enterprise", seller))
    country = (buyer.country or seller.country).upper()
    if country == seller.country:
        return _charged(country, supply)
    goods = supply.nature is Nature.GOODS
    if country in EU_COUNTRIES:
        if buyer.vat_id is VatIdStatus.VALID:
            if goods:
                key = _key("intra_eu_goods", seller)
                return _zero(Category.INTRA_COMMUNITY, "VATEX-EU-IC", key)
            return _zero(Category.REVERSE_CHARGE, "VATEX-EU-AE", _key("reverse_charge", seller))
        why: tuple[str, ...] = ()
        if buyer.vat_id is VatIdStatus.UNCHECKED:
            why = ("tax.note.vat_id_unchecked",)
        elif buyer.vat_id is VatIdStatus.INVALID:
            why = ("tax.note.vat_id_invalid",)
        if supply.nature is Nature.SERVICES:
            return _charged(seller.country, supply, why)
        if seller.oss_registered or seller.over_threshold:
            where = "tax.note.destination_goods" if goods else "tax.note.destination_services"
            return _charged(country, supply, (*why, where))
        return _charged(seller.country, supply, why)
    if goods:
        return _zero(Category.EXPORT, "VATEX-EU-G", _key("export_goods", seller))
    business = buyer.kind is BuyerKind.COMPANY or buyer.vat_id is not VatIdStatus.NONE
    if business:
        return _zero(Category.NOT_SUBJECT, "VATEX-EU-O", _key("outside_eu_b2b", seller))
    if supply.nature is Nature.ELECTRONIC:
        return _zero(Category.NOT_SUBJECT, "VATEX-EU-O", _key("outside_eu_b2c", seller))
    return _charged(seller.country, supply)
