"""Rendering the console's pages: its templates on the shared layout machinery
(`recura.web.pages`), sentences from the `console` catalogs in the operator's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from recura import i18n
from recura.db.models import Account
from recura.db.unit_of_work import unit_of_work
from recura.domains.common import actor
from recura.web import csp, language
from recura.web.pages import Brand, Frame, Pages

DIRECTORY = Path(__file__).parent / "templates"
MAX_FORM_BYTES = 8192

PAGES = Pages([DIRECTORY], "console")


def text(key: str, locale: str, **values: object) -> str:
    return i18n.text("console", key, locale, **values)


@contextmanager
def unit(request: Request) -> Iterator[Session]:
    """The request's one unit of work: committed when the page is rendered. The signed-in
    operator (`auth.require` put them on the request) is the actor of what it records, as
    the API's requests are theirs (api/routing.py): events carry the user, not the system."""
    acting = actor.acting_as(getattr(request.state, "actor", actor.SYSTEM))
    with acting, unit_of_work(request.app.state.session_factory) as session:
        yield session


def brand(account: Account) -> Brand:
    """The account as the console names it (no merchant colours: the console is Recura's)."""
    return Brand(
        name=account.legal_name,
        color="#2f6fed",
        logo_url=None,
        support_email=None,
        terms_url=None,
        privacy_url=None,
        timezone=account.timezone,
    )


def visitor_locale(request: Request) -> str:
    """Someone not signed in: the language they picked, else their browser's, else English."""
    return language.choose(request, "en")


def anonymous(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    frame = Frame(brand=None, locale=visitor_locale(request), policy=csp.Policy(csp.nonce()))
    return PAGES.render(request, template, frame, status, operator=None, **values)


async def form(request: Request, max_bytes: int = MAX_FORM_BYTES) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each); anything over `max_bytes` or
    odd is an empty form, which no page accepts."""
    body = await request.body()
    if len(body) > max_bytes:
        return {}
    try:
        fields = parse_qs(body.decode(), max_num_fields=40)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items()}
