"""Rendering the subscriber pages: Jinja2 templates on one layout, sentences from the
`portal` message catalogs (`recura.i18n`) in the customer's language, money and dates by
Babel as in the emails."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura import i18n
from recura.db.models import Account, PaymentMethod
from recura.db.unit_of_work import unit_of_work
from recura.notifications import rendering
from recura.notifications import texts as email_texts
from recura.portal.access import Visit

DIRECTORY = Path(__file__).parent / "templates"
# Links with a token in the address: never cached, never sent on as a Referer.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# A form of the portal is a handful of short fields.
MAX_FORM_BYTES = 4096

_env = rendering.environment(DIRECTORY)


def _text(key: str, locale: str, **values: object) -> str:
    return i18n.text("portal", key, locale, **values)


def unit(request: Request) -> AbstractContextManager[Session]:
    """The request's one unit of work: committed when the page is rendered."""
    return unit_of_work(request.app.state.session_factory)


def _translator(locale: str) -> Any:
    def t(key: str, **values: object) -> str:
        return _text(key, locale, **values)

    return t


def support_address(account: Account) -> str:
    return account.email_reply_to or account.email_from_address or ""


def merchant_name(account: Account) -> str:
    return account.email_from_name or account.legal_name


def render(template: str, visit: Visit, status: int = 200, **values: Any) -> HTMLResponse:
    locale = visit.locale
    html = _env.get_template(template).render(
        values,
        locale=locale,
        t=_translator(locale),
        money=lambda amount, currency: rendering.money(amount, currency, locale),
        day=lambda at: rendering.day(at, locale, visit.account.timezone),
        method=lambda m: describe(m, locale),
        customer_name=visit.customer.name or "",
        account_name=merchant_name(visit.account),
        support_address=support_address(visit.account),
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def invalid() -> HTMLResponse:
    """A link that is not genuine, expired or for another page: in English, since it
    names no customer whose language we could trust."""
    html = _env.get_template("invalid.html").render(locale="en", t=_translator("en"))
    return HTMLResponse(html, status_code=404, headers=HEADERS)


def describe(method: PaymentMethod | None, locale: str) -> str:
    if method is None:
        return _text("method.other", locale)
    if method.kind == "paypal":
        return _text("method.paypal", locale, email=method.email or "")
    if method.last4:
        raw = method.brand or ""
        brand = email_texts.BRANDS.get(raw, raw.title())
        if method.exp_year and method.exp_month:
            expiry = rendering.month(method.exp_year, method.exp_month, locale)
            return _text("method.card", locale, brand=brand, last4=method.last4, expiry=expiry)
        return _text("method.card_no_expiry", locale, brand=brand, last4=method.last4)
    return _text("method.other", locale)


Work = Callable[[Request, str, dict[str, str]], HTMLResponse]


async def posted(request: Request, token: str, work: Work) -> HTMLResponse:
    """A form post: its fields read here, `work` (the database's) in a worker thread."""
    return await run_in_threadpool(work, request, token, await form(request))


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each); anything too big or odd is
    an empty form, which no page accepts."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        fields = parse_qs(body.decode(), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items()}
