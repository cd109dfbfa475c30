"""VAT in the seller's national currency (EN 16931 BT-6 and BT-111).

A seller must state the VAT of an invoice in its country's currency when the invoice is in
another: a Romanian merchant invoicing in EUR writes the VAT in lei too (Fiscal Code art.
319 (20)). Which currency a country uses on a date is CLDR's data (Babel), with the
changes CLDR's release in the lock file does not know yet listed below, dated.
"""

from __future__ import annotations

from datetime import date

from babel.numbers import get_territory_currencies

from recura.core.exchange import Rate, convert
from recura.core.money import Money

# Adoptions of the euro after the CLDR data Babel ships: country -> (from, currency).
_ADOPTED = {"BG": (date(2026, 1, 1), "EUR")}


def national_currency(country: str, on: date) -> str | None:
    """The legal tender of `country` on `on` (None for an unknown country)."""
    adopted = _ADOPTED.get(country.upper())
    if adopted is not None and on >= adopted[0]:
        return adopted[1]
    found = get_territory_currencies(country.upper(), start_date=on, end_date=on, tender=True)
    return str(found[0]) if found else None


def tax_currency(seller_country: str, invoice_currency: str, on: date) -> str | None:
    """The currency the VAT must also be stated in, or None when the invoice is already in
    the seller's national currency."""
    national = national_currency(seller_country, on)
    if national is None or national == invoice_currency.upper():
        return None
    return national


def vat_in(tax_total: Money, rate: Rate) -> Money:
    """The invoice's VAT total in the other currency of `rate`, rounded once (half away from
    zero) to its minor unit: the figure BT-111 carries and the PDF prints."""
    return convert(tax_total, rate)
