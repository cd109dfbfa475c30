"""What a subscriber is told about the billing details they typed: the `validation` message
catalogs (`recura.i18n`).

Each validation problem names its field and one of these keys; the checkout page shows
the text in the subscriber's language, the API the English one.
"""

from __future__ import annotations

from recura import i18n

DOMAIN = "validation"


def text(key: str, locale: str, **values: object) -> str:
    """The text of `key` in `locale` (English for a language it lacks), filled in."""
    return i18n.text(DOMAIN, key, locale, **values)


def keys() -> set[str]:
    return set(i18n.catalog(DOMAIN, i18n.SOURCE))
