"""Rendering a public page: its template on the shared layout, with the merchant's branding,
the visitor's language, money and dates by Babel, and the response's CSP nonce."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from recura import i18n
from recura.db.models import Account
from recura.domains.accounts import service as accounts
from recura.notifications import rendering
from recura.web import csp, csrf, language

SHARED = Path(__file__).parent / "templates"
# Pages naming a person (their portal, a link's token) are never cached nor sent on as a Referer.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True, slots=True)
class Brand:
    """The merchant as every page shows it."""

    name: str
    color: str
    logo_url: str | None
    support_email: str | None
    terms_url: str | None
    privacy_url: str | None
    timezone: str


def brand(account: Account, logo_hash: str | None) -> Brand:
    logo = f"/assets/logos/{account.id}/{logo_hash}" if logo_hash else None
    return Brand(
        name=account.email_from_name or account.legal_name,
        color=account.brand_color,
        logo_url=logo,
        support_email=accounts.support_address(account),
        terms_url=account.terms_url,
        privacy_url=account.privacy_url,
        timezone=account.timezone,
    )


@dataclass(frozen=True, slots=True)
class Frame:
    """What the layout needs besides the page's own values."""

    brand: Brand | None
    locale: str
    # The visitor's portal navigation, when signed in.
    signed_in: bool = False
    test_mode: bool = False
    policy: csp.Policy = field(default_factory=lambda: csp.Policy(csp.nonce()))
    private: bool = True
    # What the signed-in visitor's forms are bound to (`csrf`): their portal session.
    session_binding: str = ""


class Pages:
    """One set of page templates (the portal's, the console's) over the shared ones."""

    def __init__(self, directories: Sequence[Path], domain: str) -> None:
        self.domain = domain
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader([*directories, SHARED])]),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def text(self, key: str, locale: str, **values: object) -> str:
        return i18n.text(self.domain, key, locale, **values)

    def render(
        self,
        request: Request,
        template: str,
        frame: Frame,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        locale = frame.locale
        timezone = frame.brand.timezone if frame.brand else "UTC"
        secret: bytes = request.app.state.secret

        def t(key: str, **fill: object) -> str:
            return self.text(key, locale, **fill)

        def day(at: datetime | str | None) -> str:
            return rendering.day(at, locale, timezone)

        def money(amount: int, currency: str) -> str:
            return rendering.money(amount, currency, locale)

        def form_key(form: str, binding: str | None = None) -> str:
            return csrf.form_key(secret, binding or csrf.visitor_binding(request), form)

        # The page's own values win over the helpers of the same name.
        context: dict[str, Any] = dict(
            t=t,
            day=day,
            money=money,
            number=lambda value: format_decimal(value, locale=locale),
            form_key=form_key,
            locale=locale,
            languages=i18n.languages(),
            language_url=lambda lang: _with_language(request, lang),
            brand=frame.brand,
            signed_in=frame.signed_in,
            session_binding=frame.session_binding,
            language_name=language_name,
            test_mode=frame.test_mode,
            nonce=frame.policy.nonce,
            path=request.url.path,
        )
        context.update(values)
        html = self.env.get_template(template).render(context)
        response = HTMLResponse(html, status_code=status)
        response.headers["content-security-policy"] = frame.policy.header()
        if frame.private:
            response.headers.update(PRIVATE)
        response.headers.update(headers or {})
        csrf.remember(request, response)
        language.remember(request, response)
        return response


def language_name(lang: str) -> str:
    """A language as its speakers write it: "English", "Română"."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


def with_policy(frame: Frame, **changes: Any) -> Frame:
    return replace(frame, policy=replace(frame.policy, **changes))


def _with_language(request: Request, lang: str) -> str:
    url = request.url.include_query_params(**{language.PARAM: lang})
    return f"{url.path}?{url.query}"
