"""The emails' sentences: the `emails` message catalogs (`recura/locales/<language>/
LC_MESSAGES/emails.po`, read by `recura.i18n`), with `{name}` placeholders filled from the
email's values."""

from __future__ import annotations

from recura import i18n
from recura.domains.common.languages import SUPPORTED

DOMAIN = "emails"
LOCALES = SUPPORTED

# Card brands as people name them.
BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express"}


def text(key: str, locale: str, **values: object) -> str:
    """The text for `key` in `locale`, filled in; a missing key or value is an error."""
    return i18n.text(DOMAIN, key, locale, **values)


def counted(word: str, count: int, locale: str) -> str:
    """`count` of `word` ("invoices") as `locale` writes it."""
    return i18n.counted(DOMAIN, word, count, locale)


def keys() -> set[str]:
    return set(i18n.catalog(DOMAIN, i18n.SOURCE))
