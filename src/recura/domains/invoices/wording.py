"""The words of the invoice lines Recura writes itself: the `invoices` message catalogs
(`recura.i18n`).

A line is worded once, when it is computed, in the language of the customer it is for
(`recura.domains.common.languages`), and stored as it reads: an issued invoice keeps the
language it was issued in.
"""

from __future__ import annotations

from functools import cache

from recura import i18n
from recura.core.invoice_lines import Wording

DOMAIN = "invoices"


@cache
def lines(locale: str) -> Wording:
    """How core's lines are worded in `locale` (a supported language)."""
    catalog = {**i18n.catalog(DOMAIN, i18n.SOURCE), **i18n.catalog(DOMAIN, locale)}
    return Wording(
        unused=catalog["line.unused"],
        remaining=catalog["line.remaining"],
        tier=catalog["line.tier"],
        flat_fee=catalog["line.flat_fee"],
    )


def setup_fee(plan: str, locale: str) -> str:
    return i18n.text(DOMAIN, "line.setup_fee", locale, plan=plan)
