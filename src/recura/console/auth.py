"""Who is signed in to the console, and what they may do.

`require(permission)` is the one dependency every console page takes: it finds the
operator from the session cookie (in a short unit of work of its own, which also refreshes
the session), puts them on the request (`request.state.operator`, and as the actor of what
the request does, `request.state.actor`), and refuses with the sign-in page (no session) or
a 403 page in the operator's language (their role lacks the permission).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.responses import Response as StarletteResponse

from recura.console import navigation, pages
from recura.core import permissions
from recura.core.permissions import Permission
from recura.db.models import Account, ConsoleSession, User
from recura.domains.accounts import repository as accounts
from recura.domains.common import languages
from recura.domains.common.actor import Actor
from recura.domains.users import sessions
from recura.web import csp, csrf, language
from recura.web.pages import Frame

COOKIE = "recura_console"
PATH = "/console"


@dataclass(frozen=True, slots=True)
class Operator:
    user: User
    console_session: ConsoleSession
    account: Account
    locale: str

    @property
    def binding(self) -> str:
        """What the operator's forms are bound to (`csrf`): their console session."""
        return self.console_session.id

    def may(self, permission: Permission) -> bool:
        return permissions.allows(self.user.role, permission)

    def frame(self) -> Frame:
        return Frame(
            brand=pages.brand(self.account),
            locale=self.locale,
            signed_in=True,
            policy=csp.Policy(csp.nonce()),
            session_binding=self.console_session.id,
        )

    def actor(self) -> Actor:
        return Actor(kind="user", id=self.user.id, label=self.user.email)


class SignInFirst(Exception):
    """No live console session."""


class Forbidden(Exception):
    def __init__(self, operator: Operator) -> None:
        self.operator = operator


def locale_for(request: Request, account: Account, user: User) -> str:
    """The user's own language setting, else their browser's, else the account's."""
    if user.locale:
        return languages.negotiate(user.locale) or languages.DEFAULT
    return language.choose(request, account.locale, None, account.fallback_locale)


def find(request: Request) -> Operator | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    with pages.unit(request) as session:
        found = sessions.from_cookie(session, cookie, request.app.state.clock.now())
        if found is None:
            return None
        account = accounts.account_by_key(session, found.user.account_id)
        session.expunge_all()
    locale = locale_for(request, account, found.user)
    return Operator(found.user, found.console_session, account, locale)


def require(permission: Permission | None) -> Callable[[Request], Operator]:
    """The dependency of a console page: a signed-in operator whose role holds
    `permission` (None: any signed-in operator)."""

    def dependency(request: Request) -> Operator:
        operator = find(request)
        if operator is None:
            raise SignInFirst()
        request.state.operator = operator
        request.state.actor = operator.actor()
        if permission is not None and not operator.may(permission):
            raise Forbidden(operator)
        return operator

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def form_accepted(request: Request, operator: Operator, form: str, fields: dict[str, str]) -> bool:
    return csrf.form_accepted(request, operator.binding, form, fields)


def render(
    request: Request,
    operator: Operator,
    template: str,
    status: int = 200,
    *,
    frame: Frame | None = None,
    **values: Any,
) -> HTMLResponse:
    """A console page; `frame`: the operator's, changed (a form leading to another site)."""
    return pages.PAGES.render(
        request,
        template,
        frame or operator.frame(),
        status,
        operator=operator,
        may=operator.may,
        sections=navigation.SECTIONS,
        current_section=navigation.current(request.url.path),
        **values,
    )


def remember(request: Request, response: StarletteResponse, cookie: str) -> None:
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(sessions.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=csrf.secure(request),
        path=PATH,
    )


def forget(request: Request, response: StarletteResponse) -> None:
    response.delete_cookie(
        COOKIE, httponly=True, samesite="lax", secure=csrf.secure(request), path=PATH
    )


def install(app: FastAPI) -> None:
    async def sign_in_first(request: Request, exc: Exception) -> Response:
        response = RedirectResponse("/console/sign-in", status_code=303)
        if request.cookies.get(COOKIE):
            forget(request, response)
        return response

    async def forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Forbidden)
        return render(request, exc.operator, "forbidden.html", 403)

    app.add_exception_handler(SignInFirst, sign_in_first)
    app.add_exception_handler(Forbidden, forbidden)
