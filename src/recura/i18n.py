"""The sentences subscribers read, from Babel message catalogs.

Each language is a directory `locales/<language>/LC_MESSAGES/` holding one `.po` file per
domain (`portal.po`, ...). A message's `msgid` is a stable key (`checkout.title`), its
`msgstr` the sentence with `{name}` placeholders. Adding a language is adding a directory of
catalogs: `languages()` lists what is there, and `missing()` (run by the tests) names any key
a language lacks or whose placeholders differ from English's.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGS = Path(__file__).parent / "locales"
# The language every key must exist in, and the one a page falls back to.
SOURCE = "en"


@cache
def languages() -> tuple[str, ...]:
    """Every language with catalogs, English first."""
    found = sorted(path.name for path in CATALOGS.iterdir() if (path / "LC_MESSAGES").is_dir())
    return (SOURCE, *(name for name in found if name != SOURCE))


@cache
def domains() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in (CATALOGS / SOURCE / "LC_MESSAGES").glob("*.po")))


@cache
def catalog(domain: str, language: str) -> dict[str, str]:
    """The domain's translated messages in `language` (empty ones left out)."""
    path = CATALOGS / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=language, domain=domain)
    return {str(m.id): str(m.string) for m in parsed if m.id and m.string}


def text(domain: str, key: str, language: str, **values: object) -> str:
    """The sentence for `key` in `language` (English where that language lacks it), with its
    placeholders filled. A key no catalog has is a programming error: KeyError."""
    found = catalog(domain, language).get(key)
    if found is None:
        found = catalog(domain, SOURCE)[key]
    return found.format(**values) if values else found


def placeholders(sentence: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name}


def missing(domain: str) -> list[str]:
    """`language: key` for each key a language lacks or fills with other placeholders."""
    source = catalog(domain, SOURCE)
    problems = []
    for language in languages()[1:]:
        translated = catalog(domain, language)
        for key, sentence in source.items():
            other = translated.get(key)
            if other is None:
                problems.append(f"{language}: {key} (missing)")
            elif placeholders(other) != placeholders(sentence):
                problems.append(f"{language}: {key} (placeholders differ)")
        problems.extend(f"{language}: {key} (unknown key)" for key in translated.keys() - source)
    return problems
