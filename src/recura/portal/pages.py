"""Rendering the subscriber pages: the portal's templates on the shared layout
(`recura.web.pages`), sentences from the `portal` message catalogs in the subscriber's
language, money and dates by Babel as in the emails."""

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
from recura.domains.accounts import repository as accounts
from recura.notifications import rendering
from recura.notifications import texts as email_texts
from recura.portal.access import Visit
from recura.web import csp, language
from recura.web.pages import Brand, Frame, Pages, brand

DIRECTORY = Path(__file__).parent / "templates"
# A form of the portal is a handful of short fields.
MAX_FORM_BYTES = 8192

PAGES = Pages([DIRECTORY], "portal")


def text(key: str, locale: str, **values: object) -> str:
    return i18n.text("portal", key, locale, **values)


def unit(request: Request) -> AbstractContextManager[Session]:
    """The request's one unit of work: committed when the page is rendered."""
    return unit_of_work(request.app.state.session_factory)


def brand_of(session: Session, account: Account) -> Brand:
    return brand(account, accounts.logo_hash(session, account.id))


def policy(request: Request, *, stripe: bool = False) -> csp.Policy:
    """The page's CSP; with `stripe`, Stripe.js's card element may load and talk home."""
    if not stripe:
        return csp.Policy(csp.nonce())
    js = request.app.state.settings.stripe_js_url
    return csp.Policy(csp.nonce(), stripe_js=js, stripe_api=csp.STRIPE_API_FOR.get(csp.origin(js)))


def render(
    request: Request,
    template: str,
    visit: Visit,
    status: int = 200,
    *,
    stripe: bool = False,
    **values: Any,
) -> HTMLResponse:
    """A page reached through an emailed link: the visit says whose."""
    frame = Frame(
        brand=visit.brand,
        locale=visit.locale,
        test_mode=not visit.tenant.livemode,
        policy=policy(request, stripe=stripe),
    )
    return PAGES.render(
        request,
        template,
        frame,
        status,
        customer_name=visit.customer.name or "",
        account_name=visit.brand.name,
        support_address=visit.brand.support_email or "",
        method=lambda m: describe(m, visit.locale),
        **values,
    )


def invalid(request: Request) -> HTMLResponse:
    """A link that is not genuine, expired or for another page: in the browser's language,
    since it names no customer whose language we could trust."""
    locale = language.choose(request, "en")
    return PAGES.render(request, "invalid.html", Frame(brand=None, locale=locale), 404)


def not_found(request: Request) -> HTMLResponse:
    locale = language.choose(request, "en")
    return PAGES.render(request, "not_found.html", Frame(brand=None, locale=locale), 404)


def describe(method: PaymentMethod | None, locale: str) -> str:
    if method is None:
        return text("method.other", locale)
    if method.kind == "paypal":
        return text("method.paypal", locale, email=method.email or "")
    if method.last4:
        raw = method.brand or ""
        card_brand = email_texts.BRANDS.get(raw, raw.title())
        if method.exp_year and method.exp_month:
            expiry = rendering.month(method.exp_year, method.exp_month, locale)
            return text("method.card", locale, brand=card_brand, last4=method.last4, expiry=expiry)
        return text("method.card_no_expiry", locale, brand=card_brand, last4=method.last4)
    return text("method.other", locale)


Work = Callable[[Request, str, dict[str, str]], HTMLResponse]


async def posted(request: Request, token: str, work: Work) -> HTMLResponse:
    """A form post: its fields read here, `work` (the database's) in a worker thread."""
    return await run_in_threadpool(work, request, token, await form(request))


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
