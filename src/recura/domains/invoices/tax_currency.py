"""The VAT of an invoice or credit note in the seller's national currency, stated once.

Called when an invoice's documents are made (PDF, e-invoice), not while billing: the rate
is the stored daily rate in force on the issue day (the latest published on or before it,
as the central bank's rate of the day applies), read from the same table the metrics use.
"""

from __future__ import annotations

from datetime import date

from babel.numbers import get_territory_currencies
from sqlalchemy.orm import Session

from recura.core.money import Money
from recura.core.tax_currency import vat_in
from recura.db.models import Account, CreditNote, Invoice
from recura.domains.common.tenant import Tenant
from recura.domains.exchange_rates import service as exchange_rates

# Which currency a country uses on a date is CLDR's data (Babel), with the euro adoptions the
# CLDR release in the lock file does not know yet: country -> (from, currency).
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


def state(
    session: Session,
    tenant: Tenant,
    account: Account,
    document: Invoice | CreditNote,
    issued_on: date,
) -> None:
    """Fill the document's `tax_currency`, `tax_exchange_rate` and
    `tax_total_in_tax_currency` when it is in another currency than the seller's own; a
    document that already has them keeps them. Raises `core.exchange.NoRateError` when no
    rate is stored on or before the issue day (the document cannot be made yet)."""
    if document.tax_currency is not None:
        return
    target = tax_currency(account.country, document.currency, issued_on)
    if target is None:
        return
    rate = exchange_rates.rate_on(session, tenant, issued_on, document.currency, target)
    document.tax_currency = target
    document.tax_exchange_rate = rate.rate
    document.tax_total_in_tax_currency = vat_in(
        Money(document.tax_total, document.currency), rate
    ).minor
