"""Which language a subscriber reads: negotiated from the customer's tag over the languages
Recura writes, else the account's fallback, never the merchant's own by default."""

from __future__ import annotations

import pytest

from recura.domains.common import languages


@pytest.mark.parametrize(
    ("tag", "found"),
    [
        ("ro", "ro"),
        ("ro-RO", "ro"),
        ("ro_MD", "ro"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("de-AT", None),
        ("pt_BR", None),
        ("zh-Hant-TW", None),
        ("xx", None),
        ("", None),
        (None, None),
    ],
)
def test_a_tag_negotiates_to_a_supported_language_or_none(tag: str | None, found: str) -> None:
    assert languages.negotiate(tag) == found


@pytest.mark.parametrize(
    ("customer", "account", "fallback", "chosen"),
    [
        ("de-AT", "ro", "en", "en"),  # a German customer of a Romanian merchant
        ("pt_BR", "ro", "en", "en"),
        ("de", "en", "ro", "ro"),  # the merchant chose Romanian for the rest of the world
        ("ro-RO", "en", "en", "ro"),
        ("en_US", "ro", "ro", "en"),
        (None, "ro", "en", "ro"),  # no language given: the merchant's
        (None, "de", "ro", "ro"),  # the merchant's is none we write: the fallback
        (None, "de", "en", "en"),
    ],
)
def test_the_customer_reads_the_best_supported_language(
    customer: str | None, account: str, fallback: str, chosen: str
) -> None:
    assert languages.for_customer(customer, account, fallback) == chosen


@pytest.mark.parametrize("tag", ["de-AT", "pt_BR", "ro", "zh-Hant-TW", "sr-Latn-RS", "es-419"])
def test_any_valid_language_tag_is_accepted(tag: str) -> None:
    assert languages.parse(tag)


@pytest.mark.parametrize("tag", ["xx-YY", "klingon", "1234", "de--AT"])
def test_a_tag_naming_no_language_is_refused(tag: str) -> None:
    with pytest.raises(ValueError, match="not a known language tag"):
        languages.parse(tag)


def test_a_fallback_must_be_a_language_recura_writes() -> None:
    assert languages.supported("ro-RO") == "ro"
    with pytest.raises(ValueError, match=r"not a language Recura writes \(en, ro\)"):
        languages.supported("de")
