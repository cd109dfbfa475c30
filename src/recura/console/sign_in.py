"""Signing in to the console: email and password, then, for a user with TOTP, the code
from their app; and signing out. Every wrong answer reads the same (unknown address, wrong
password, locked user), and attempts are rate-limited per address and per email."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.console import auth, pages
from recura.console.auth import Operator
from recura.domains.users import service as users
from recura.domains.users import sessions
from recura.web import csrf

router = APIRouter(prefix="/console")
FORM = "console_sign_in"
CODE_FORM = "console_code"
PENDING = "recura_console_code"


def _page(
    request: Request,
    *,
    email: str = "",
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return pages.anonymous(request, "sign_in.html", status, email=email, error=error, notice=notice)


@router.get("/sign-in")
def show(request: Request, signed_out: str | None = None, reset: str | None = None) -> Response:
    if auth.find(request) is not None:
        return RedirectResponse("/console", status_code=303)
    notice = "sign_in.signed_out" if signed_out else "reset.done" if reset else None
    return _page(request, notice=notice)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_sign_in, request, fields)


def _sign_in(request: Request, fields: dict[str, str]) -> Response:
    email = fields.get("email", "").strip()[:320]
    password = fields.get("password", "")[:1024]
    if not csrf.form_accepted(request, csrf.visitor_binding(request), FORM, fields):
        return _page(request, email=email, notice="page.form_expired", status=403)
    if not request.app.state.limiter.allow("console_sign_in", request, email.lower()):
        return _page(request, email=email, error="sign_in.too_many", status=429)
    now = request.app.state.clock.now()
    with pages.unit(request) as session:
        found = users.check_password(session, email, password, now)
        if found.user is None:
            result: Response = _page(request, email=email, error="sign_in.wrong", status=400)
            return result
        user = found.user
        enrolled = user.totp_enabled_at is not None
        opened = sessions.open_session(session, user, now, verified=not enrolled)
        if not enrolled:
            users.signed_in(session, user, now)
    if enrolled:
        response = RedirectResponse("/console/sign-in/code", status_code=303)
        response.set_cookie(
            PENDING,
            opened.cookie,
            max_age=int(sessions.SECOND_STEP.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=csrf.secure(request),
            path=auth.PATH,
        )
        return response
    response = RedirectResponse("/console", status_code=303)
    auth.remember(request, response, opened.cookie)
    return response


@router.get("/sign-in/code")
def code_page(request: Request) -> Response:
    with pages.unit(request) as session:
        found = _pending(session, request)
    if found is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    return _code_page(request, found.console_session.id)


def _code_page(
    request: Request, binding: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    return pages.anonymous(request, "sign_in_code.html", status, binding=binding, error=error)


@router.post("/sign-in/code")
async def code(request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_code, request, fields)


def _code(request: Request, fields: dict[str, str]) -> Response:
    now = request.app.state.clock.now()
    with pages.unit(request) as session:
        found = _pending(session, request)
        if found is None:
            return RedirectResponse("/console/sign-in", status_code=303)
        binding = found.console_session.id
        if not csrf.form_accepted(request, binding, CODE_FORM, fields):
            return _code_page(request, binding, "page.form_expired", 403)
        secret = request.app.state.secret
        if not users.check_code(session, secret, found.user, fields.get("code", "")[:20], now):
            if users.locked(found.user, now):
                sessions.end(session, found.console_session, now)
            return _code_page(request, binding, "sign_in.bad_code", 400)
        opened = sessions.verify(session, found.console_session, now)
        users.signed_in(session, found.user, now)
    response = RedirectResponse("/console", status_code=303)
    response.delete_cookie(PENDING, path=auth.PATH)
    auth.remember(request, response, opened.cookie)
    return response


def _pending(session: Session, request: Request) -> sessions.Found | None:
    cookie = request.cookies.get(PENDING)
    if not cookie:
        return None
    now = request.app.state.clock.now()
    return sessions.from_cookie(session, cookie, now, verified=False)


@router.post("/sign-out")
async def sign_out(request: Request, operator: Operator = Depends(auth.require(None))) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_sign_out, request, operator, fields)


def _sign_out(request: Request, operator: Operator, fields: dict[str, str]) -> Response:
    if not auth.form_accepted(request, operator, "sign_out", fields):
        return RedirectResponse("/console", status_code=303)
    with pages.unit(request) as session:
        sessions.end_by_id(
            session, operator.account.id, operator.binding, request.app.state.clock.now()
        )
    response = RedirectResponse("/console/sign-in?signed_out=1", status_code=303)
    auth.forget(request, response)
    return response
