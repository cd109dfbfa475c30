"""The VAT of an invoice or credit note in the seller's national currency, stated once.

Called when an invoice's documents are made (PDF, e-invoice), not while billing: the rate
is the stored daily rate in force on the issue day (the latest published on or before it,
as the central bank's rate of the day applies), read from the same table the metrics use.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from recura.core.money import Money
from recura.core.tax_currency import tax_currency, vat_in
from recura.db.models import Account, CreditNote, Invoice
from recura.domains.common.tenant import Tenant
from recura.domains.exchange_rates import service as exchange_rates


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
