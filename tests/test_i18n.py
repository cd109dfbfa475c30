"""The message catalogs: a language is a directory of `.po` files, and a key every language
lacks or fills differently is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from recura import i18n


@pytest.fixture
def catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(i18n.CATALOGS, tmp_path / "locales")
    monkeypatch.setattr(i18n, "CATALOGS", tmp_path / "locales")
    for cached in (i18n.languages, i18n.domains, i18n.catalog, i18n._parsed):
        cached.cache_clear()
    yield tmp_path / "locales"
    for cached in (i18n.languages, i18n.domains, i18n.catalog, i18n._parsed):
        cached.cache_clear()


def _write(path: Path, language: str, messages: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in messages.items())
    path.write_text(f'msgid ""\nmsgstr ""\n"Language: {language}\\n"\n\n{body}', encoding="utf-8")


def test_a_third_language_is_a_file(catalogs: Path) -> None:
    _write(catalogs / "de/LC_MESSAGES/portal.po", "de", {"page.greeting": "Hallo {name},"})
    assert i18n.languages() == ("en", "de", "ro")
    assert i18n.text("portal", "page.greeting", "de", name="Ana") == "Hallo Ana,"
    # What German lacks reads in English, and the check names it.
    assert i18n.text("portal", "page.greeting_anonymous", "de") == "Hello,"
    assert "de: page.greeting_anonymous (missing)" in i18n.missing("portal")


def test_placeholders_that_differ_are_named(catalogs: Path) -> None:
    ro = catalogs / "ro/LC_MESSAGES/portal.po"
    ro.write_text(
        ro.read_text(encoding="utf-8").replace("Bună ziua, {name},", "Bună ziua, {nume},"),
        encoding="utf-8",
    )
    assert i18n.missing("portal") == ["ro: page.greeting (placeholders differ)"]


def test_every_domain_is_complete_in_every_language() -> None:
    assert "portal" in i18n.domains()
    for domain in i18n.domains():
        assert i18n.missing(domain) == []


def test_an_unknown_key_is_an_error() -> None:
    with pytest.raises(KeyError):
        i18n.text("portal", "no.such.key", "ro")


@pytest.mark.parametrize(
    ("count", "en", "ro"),
    [
        (1, "1 invoice", "1 factură"),
        (3, "3 invoices", "3 facturi"),
        (20, "20 invoices", "20 de facturi"),
    ],
)
def test_counted_words_take_each_languages_plural_form(count: int, en: str, ro: str) -> None:
    assert i18n.counted("emails", "invoices", count, "en") == en
    assert i18n.counted("emails", "invoices", count, "ro") == ro
