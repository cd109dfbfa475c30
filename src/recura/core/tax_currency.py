"""VAT in the seller's national currency (EN 16931 BT-6 and BT-111).

A seller must state the VAT of an invoice in its country's currency when the invoice is in
another: a Romanian merchant invoicing in EUR writes the VAT in lei too (Fiscal Code art.
319 (20)). Which currency that is comes from `domains/invoices/tax_currency.py` (CLDR).
"""

from __future__ import annotations

from recura.core.exchange import Rate, convert
from recura.core.money import Money


def vat_in(tax_total: Money, rate: Rate) -> Money:
    """The invoice's VAT total in the other currency of `rate`, rounded once (half away from
    zero) to its minor unit: the figure BT-111 carries and the PDF prints."""
    return convert(tax_total, rate)
