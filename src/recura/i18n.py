"""The sentences subscribers read, from Babel message catalogs.

Each language is a directory `locales/<language>/LC_MESSAGES/` holding one `.po` file per
domain (`portal.po`, ...). A message's `msgid` is a stable key (`checkout.title`), its
`msgstr` the sentence with `{name}` placeholders. Adding a language is adding a directory of
catalogs: `languages()` lists what is there, and `missing()` (run by the tests) names any key
a language lacks or whose placeholders differ from English's.
"""

from __future__ import annotations

import gettext
import string
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
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
def _parsed(domain: str, language: str) -> Catalog | None:
    path = CATALOGS / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=domain)


@cache
def catalog(domain: str, language: str) -> dict[str, str]:
    """The domain's translated messages in `language` (empty ones left out); a counted
    message (`msgid_plural`) by its forms joined with a line break."""
    parsed = _parsed(domain, language)
    if parsed is None:
        return {}
    found = {}
    for message in parsed:
        if not message.id or not message.string:
            continue
        key = str(message.id[0] if isinstance(message.id, tuple) else message.id)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(forms):
            found[key] = "\n".join(str(form) for form in forms)
    return found


def text(domain: str, key: str, language: str, **values: object) -> str:
    """The sentence for `key` in `language` (English where that language lacks it), with its
    placeholders filled. A key no catalog has, or a value it needs and lacks, is a
    programming error: KeyError."""
    found = catalog(domain, language).get(key)
    if found is None:
        found = catalog(domain, SOURCE)[key]
    return found.format_map(values)


def counted(domain: str, key: str, count: int, language: str) -> str:
    """A counted message (`msgid_plural`) in the form `language` uses for `count`: Romanian
    says "3 facturi" but "20 de facturi"."""
    if key not in catalog(domain, language):
        language = SOURCE
    parsed = _parsed(domain, language)
    assert parsed is not None
    forms = catalog(domain, language)[key].split("\n")
    index = gettext.c2py(parsed.plural_expr)(count)
    return forms[min(index, len(forms) - 1)].format(count=count)


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
