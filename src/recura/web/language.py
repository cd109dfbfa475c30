"""The language a visitor reads: the one they picked (the switch on every page, kept in a
cookie), else a signed-in customer's own, else the best their browser asks for, else the
merchant's (or, for a browser asking only for languages Recura does not write, the
merchant's fallback language)."""

from __future__ import annotations

from babel import Locale
from starlette.requests import Request
from starlette.responses import Response

from recura.domains.common import languages

COOKIE = "recura_lang"
PARAM = "lang"


def choose(
    request: Request,
    account_locale: str,
    customer_locale: str | None = None,
    fallback_locale: str = languages.DEFAULT,
) -> str:
    picked = languages.negotiate(request.query_params.get(PARAM))
    if picked:
        request.state.picked_language = picked
        return picked
    kept = languages.negotiate(request.cookies.get(COOKIE))
    if kept:
        return kept
    if customer_locale:
        return languages.negotiate(customer_locale) or languages.DEFAULT
    header = request.headers.get("accept-language", "")
    if header.strip() and header.strip() != "*":
        # A browser asking only for languages Recura does not write reads the account's
        # fallback (English by default), not the merchant's own language.
        return _browser(header) or languages.negotiate(fallback_locale) or languages.DEFAULT
    return languages.negotiate(account_locale) or languages.DEFAULT


def remember(request: Request, response: Response) -> None:
    picked = getattr(request.state, "picked_language", None)
    if picked:
        response.set_cookie(COOKIE, picked, max_age=365 * 86400, samesite="lax", path="/")


def _browser(header: str) -> str | None:
    """The best supported language of an Accept-Language header, by its q-values."""
    wanted: list[tuple[float, str]] = []
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*":
            wanted.append((quality, tag.replace("-", "_")))
    ordered = [tag for _, tag in sorted(wanted, key=lambda item: -item[0])]
    found = Locale.negotiate(ordered, list(languages.SUPPORTED)) if ordered else None
    return None if found is None else str(found)
