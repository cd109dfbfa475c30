"""Texts the merchant writes for subscribers in several languages (onboarding steps,
announcements): `{"en": {"title": ..., "body": Markdown}, "ro": {...}}`, and the one a
subscriber reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints

from recura.domains.common import languages
from recura.domains.common.fields import Language, Name, Schema, example_in

MAX_BODY = 5000


class TextIn(Schema):
    model_config = example_in({"title": "Connect your bank", "body": "Open **Settings**."})

    title: Name
    body: Annotated[str, StringConstraints(max_length=MAX_BODY)] = Field(
        default="", description="Markdown: no raw HTML, no images; links to http, https, mailto."
    )


def _some(value: dict[str, TextIn]) -> dict[str, TextIn]:
    if not value:
        raise ValueError("give the texts in at least one language (e.g. 'en' or 'ro')")
    return value


Texts = Annotated[
    dict[Language, TextIn],
    AfterValidator(_some),
    Field(description="By language ('en', 'ro'): a title and a Markdown body."),
]


def _link(value: str) -> str:
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http or https URL")
    return value


LinkUrl = Annotated[str, StringConstraints(min_length=8, max_length=2000), AfterValidator(_link)]


def stored(texts: Mapping[str, TextIn]) -> dict[str, dict[str, str]]:
    return {language: text.model_dump() for language, text in sorted(texts.items())}


def pick(
    texts: Mapping[str, Mapping[str, str]],
    locale: str,
    account_locale: str | None = None,
    fallback_locale: str | None = None,
) -> tuple[str, Mapping[str, str]]:
    """(language, text) a subscriber reading `locale` gets: theirs, else the account's
    language, else its fallback language, else the first one written."""
    for tag in (locale, account_locale, fallback_locale):
        language = languages.negotiate(tag) if tag else None
        if language is not None and language in texts:
            return language, texts[language]
    first = sorted(texts)[0]
    return first, texts[first]
