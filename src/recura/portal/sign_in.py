"""Signing in to the portal: ask for a link by email (the same answer whether or not the
address is known), open it (a button, so that mail scanners fetching the link do not use
it up), or arrive through a session URL the merchant's API made; and signing out."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.db.models import PortalSession
from recura.domains.accounts import repository as accounts
from recura.domains.customers import repository as customers
from recura.domains.portal_sessions import service as portal_sessions
from recura.notifications import links
from recura.portal import pages, signed_in, site
from recura.portal.site import Site, open_site
from recura.web import csrf, language
from recura.web.pages import Frame

router = APIRouter()
FORM = "sign_in"
HONEYPOT = "website"


def _site(session: Session, request: Request, slug: str) -> Site | None:
    return open_site(session, slug, site.livemode(request, slug))


def _form(
    request: Request,
    found: Site,
    *,
    email: str = "",
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return pages.PAGES.render(
        request,
        "sign_in.html",
        found.frame(request),
        status,
        email=email,
        error=error,
        notice=notice,
        post_url=f"{found.root}/sign-in",
    )


def show(
    slug: str, request: Request, ended: str | None = None, signed_out: str | None = None
) -> Response:
    with pages.unit(request) as session:
        found = _site(session, request, slug)
        if found is None:
            return pages.not_found(request)
        notice = "sign_in.signed_out" if signed_out else "sign_in.ended" if ended else None
        return _form(request, found, notice=notice)


async def ask(slug: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_ask, slug, request, fields)


def _ask(slug: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        found = _site(session, request, slug)
        if found is None:
            return pages.not_found(request)
        email = fields.get("email", "").strip()[:320]
        if not csrf.form_accepted(request, csrf.visitor_binding(request), FORM, fields):
            return _form(request, found, email=email, notice="page.form_expired", status=403)
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            return _form(request, found, email=email, error="sign_in.bad_email", status=422)
        if not request.app.state.limiter.allow("sign_in", request, email):
            return _form(request, found, email=email, notice="sign_in.too_many", status=429)
        # A bot filled the hidden field: answer as to anyone, send nothing.
        if not fields.get(HONEYPOT):
            locale = language.choose(request, found.account.locale)
            now = request.app.state.clock.now()
            portal_sessions.request_by_email(session, found.tenant, email, locale, now)
        return pages.PAGES.render(
            request,
            "sign_in_sent.html",
            found.frame(request),
            email=email,
            again_url=f"{found.root}/sign-in",
        )


for _root in ("/p/{slug}", "/p/{slug}/test"):
    router.add_api_route(f"{_root}/sign-in", show, methods=["GET"])
    router.add_api_route(f"{_root}/sign-in", ask, methods=["POST"])


@router.get("/portal/sign-in/{token}")
def confirm(token: str, request: Request) -> Response:
    with pages.unit(request) as session:
        row = _link(session, request, token, "sign_in")
        if row is None:
            return _link_gone(session, request, token, "sign_in")
        return pages.PAGES.render(
            request,
            "sign_in_continue.html",
            _frame_for(session, request, row),
            post_url=f"/portal/sign-in/{token}",
            form_key_value=csrf.form_key(request.app.state.secret, token, FORM),
        )


@router.post("/portal/sign-in/{token}")
async def use(token: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_use, token, request, fields)


def _use(token: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        if not csrf.form_accepted(request, token, FORM, fields):
            return _link_gone(session, request, token, "sign_in")
        return _open(session, request, token, "sign_in")


@router.get("/portal/session/{token}")
def arrive(token: str, request: Request) -> Response:
    """The URL a merchant's `POST /v1/portal_sessions` returned: the merchant sends the
    subscriber here at once, so it signs in without a further click."""
    with pages.unit(request) as session:
        return _open(session, request, token, "portal_session")


def _frame_for(session: Session, request: Request, row: PortalSession) -> Frame:
    """The page of the customer a link is for, in their language."""
    account = accounts.account_by_key(session, row.account_id)
    customer = customers.by_key(session, row.account_id, row.customer_id)
    locale = language.choose(request, account.locale, row.locale or customer.locale)
    return Frame(pages.brand_of(session, account), locale, test_mode=not row.livemode)


def _link(
    session: Session, request: Request, token: str, purpose: links.Purpose
) -> PortalSession | None:
    now = request.app.state.clock.now()
    try:
        claims = links.verify(request.app.state.secret, token, purpose, now)
    except links.InvalidToken:
        return None
    if claims.object_id is None:
        return None
    row = portal_sessions.peek(session, claims.account_id, claims.object_id)
    if row is None or row.link_used_at is not None or now >= row.link_expires_at:
        return None
    return row


def _open(session: Session, request: Request, token: str, purpose: links.Purpose) -> Response:
    row = _link(session, request, token, purpose)
    opened = (
        None
        if row is None
        else portal_sessions.use_link(
            session, row.account_id, row.id, request.app.state.clock.now()
        )
    )
    if opened is None:
        return _link_gone(session, request, token, purpose)
    response = RedirectResponse("/portal", status_code=303)
    signed_in.remember(request, response, opened.cookie)
    return response


def _link_gone(session: Session, request: Request, token: str, purpose: links.Purpose) -> Response:
    """A used, expired or altered link: where to ask for a new one, if we can tell."""
    claims = links.peek(request.app.state.secret, token, purpose)
    account = accounts.get_account(session, claims.account_id) if claims else None
    if account is None or claims is None:
        return pages.invalid(request)
    base = site.root(account, claims.livemode)
    locale = language.choose(request, account.locale)
    frame = Frame(pages.brand_of(session, account), locale, test_mode=not claims.livemode)
    again = f"{base}/sign-in" if base else None
    return pages.PAGES.render(request, "link_gone.html", frame, 410, again_url=again)


@router.post("/portal/sign-out")
async def sign_out(request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_sign_out, request, fields)


def _sign_out(request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        if not csrf.form_accepted(request, visitor.portal_session.id, "sign_out", fields):
            return RedirectResponse("/portal", status_code=303)
        portal_sessions.end(session, visitor.portal_session, request.app.state.clock.now())
        base = visitor.root
        target = f"{base}/sign-in?signed_out=1" if base else "/portal"
        response = RedirectResponse(target, status_code=303)
        signed_in.forget(request, response)
        return response
