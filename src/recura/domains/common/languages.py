"""Which language a subscriber reads: the best of the languages Recura writes for the
language tag the customer gave (BCP 47 or Babel's form: `de-AT`, `pt_BR`, `ro`).

A customer who gave no language reads the merchant's (`Account.locale`); one whose language
Recura does not write reads the account's `fallback_locale` (English unless the merchant
chose otherwise), never the merchant's own language by default: a German customer of a
Romanian merchant reads English, not Romanian.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError

# The languages every text of emails, pages and invoice lines is written in.
SUPPORTED = ("en", "ro")
DEFAULT = "en"


def parse(tag: str) -> Locale:
    """The tag as Babel knows it; ValueError for a tag that names no known language."""
    try:
        return Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        raise ValueError(
            f"'{tag}' is not a known language tag (e.g. 'ro', 'en-GB', 'de-AT')"
        ) from None


# A billing run words thousands of customers' lines, in a handful of languages: parsing
# each customer's tag again would cost more than the rest of choosing.
@lru_cache(maxsize=1024)
def negotiate(tag: str | None) -> str | None:
    """The supported language closest to `tag` (`ro-RO` → `ro`), or None."""
    if not tag:
        return None
    try:
        wanted = parse(tag)
    except ValueError:
        return None
    found = Locale.negotiate([str(wanted)], list(SUPPORTED))
    return None if found is None else str(found)


def supported(tag: str) -> str:
    """`tag` as one of the supported languages; ValueError when it is none of them."""
    found = negotiate(tag)
    if found is None:
        parse(tag)  # an unknown tag says so
        raise ValueError(f"'{tag}' is not a language Recura writes ({', '.join(SUPPORTED)})")
    return found


def for_customer(customer_locale: str | None, account_locale: str, fallback_locale: str) -> str:
    """The language a customer's emails, pages and invoice lines are written in."""
    if customer_locale:
        return negotiate(customer_locale) or negotiate(fallback_locale) or DEFAULT
    return negotiate(account_locale) or negotiate(fallback_locale) or DEFAULT
