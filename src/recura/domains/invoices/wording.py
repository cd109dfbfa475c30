"""The words of the invoice lines Recura writes itself, in each language, side by side as
the emails' sentences are (`recura.notifications.texts`, whose `missing()` checks these too).

A line is worded once, when it is computed, in the language of the customer it is for
(`recura.domains.common.languages`), and stored as it reads: an issued invoice keeps the
language it was issued in.
"""

from __future__ import annotations

from recura.core.invoice_lines import Wording

TEXTS: dict[str, dict[str, str]] = {
    "line.unused": {"en": "Unused time on {item}", "ro": "Timp neutilizat din {item}"},
    "line.remaining": {"en": "Remaining time on {item}", "ro": "Timp rămas din {item}"},
    "line.tier": {"en": "{item} (tier {tier})", "ro": "{item} (treapta {tier})"},
    "line.flat_fee": {"en": "{item} flat fee", "ro": "{item}, taxă fixă"},
    "line.setup_fee": {"en": "{plan} setup fee", "ro": "Taxă de activare {plan}"},
}

_WORDINGS = {
    locale: Wording(
        unused=TEXTS["line.unused"][locale],
        remaining=TEXTS["line.remaining"][locale],
        tier=TEXTS["line.tier"][locale],
        flat_fee=TEXTS["line.flat_fee"][locale],
    )
    for locale in TEXTS["line.unused"]
}


def lines(locale: str) -> Wording:
    """How core's lines are worded in `locale` (a supported language)."""
    return _WORDINGS[locale]


def setup_fee(plan: str, locale: str) -> str:
    return TEXTS["line.setup_fee"][locale].format(plan=plan)
