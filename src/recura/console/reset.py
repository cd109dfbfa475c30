"""A forgotten password: ask for a link by email (the same answer whether or not the address
is known; rate-limited), then choose a new one on the page the link opens. Choosing it
ends every session of the user and the link with it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.console import pages
from recura.db.models import User
from recura.domains.users import reset
from recura.domains.users import service as users
from recura.domains.users.schemas import UserProblem
from recura.notifications import links
from recura.web import csrf

router = APIRouter(prefix="/console/reset-password")
ASK = "console_reset"
CHOOSE = "console_new_password"


@router.get("")
def ask_page(request: Request) -> Response:
    return pages.anonymous(request, "reset_ask.html", email="", notice=None)


@router.post("")
async def ask(request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_ask, request, fields)


def _ask(request: Request, fields: dict[str, str]) -> Response:
    email = fields.get("email", "").strip()[:320]
    if not csrf.form_accepted(request, csrf.visitor_binding(request), ASK, fields):
        return pages.anonymous(
            request, "reset_ask.html", 403, email=email, notice="page.form_expired"
        )
    if not request.app.state.limiter.allow("console_reset", request, email.lower()):
        return pages.anonymous(
            request, "reset_ask.html", 429, email=email, notice="sign_in.too_many"
        )
    with pages.unit(request) as session:
        reset.request(session, email, request.app.state.clock.now())
    return pages.anonymous(request, "reset_sent.html", email=email)


def _user(session: Session, request: Request, token: str) -> User | None:
    try:
        claims = links.verify(
            request.app.state.secret, token, "password_reset", request.app.state.clock.now()
        )
    except links.InvalidToken:
        return None
    return reset.user_for(session, claims.account_id, claims.object_id)


def _choose_page(
    request: Request, token: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    return pages.anonymous(
        request,
        "reset_choose.html",
        status,
        post_url=f"/console/reset-password/{token}",
        form_key_value=csrf.form_key(request.app.state.secret, token, CHOOSE),
        error=error,
    )


@router.get("/{token}")
def choose_page(token: str, request: Request) -> Response:
    with pages.unit(request) as session:
        if _user(session, request, token) is None:
            return pages.anonymous(request, "reset_gone.html", 410)
    return _choose_page(request, token)


@router.post("/{token}")
async def choose(token: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_choose, token, request, fields)


def _choose(token: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        user = _user(session, request, token)
        if user is None or not csrf.form_accepted(request, token, CHOOSE, fields):
            return pages.anonymous(request, "reset_gone.html", 410)
        new = fields.get("password", "")[:1024]
        if new != fields.get("repeat", ""):
            return _choose_page(request, token, "problem.password_mismatch", 422)
        try:
            users.set_password(session, user, new, request.app.state.clock.now())
        except UserProblem as problem:
            return _choose_page(request, token, f"problem.{problem.key}", 422)
    return RedirectResponse("/console/sign-in?reset=1", status_code=303)
