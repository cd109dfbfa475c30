"""My account: the signed-in operator's own password, language and second factor.
Changing the password ends the user's other sessions; TOTP is enrolled by scanning a QR
code made here (or typing its secret) and confirming one code, and turned off with the
password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from recura import i18n
from recura.console import audit, auth, pages
from recura.console.auth import Operator
from recura.domains.common import languages
from recura.domains.users import service as users
from recura.domains.users import totp
from recura.domains.users.schemas import UserProblem

router = APIRouter(prefix="/console/account")
SIGNED_IN = auth.require(None)
DONE = {"password", "language", "totp_on", "totp_off"}


def _page(
    request: Request,
    operator: Operator,
    *,
    done: str | None = None,
    error: str | None = None,
    error_form: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    with pages.unit(request) as session:
        me = users.get(session, operator.account.id, operator.user.id)
        assert me is not None
        secret = request.app.state.secret
        pending = users.pending_totp(secret, me)
        enrolment = None
        if pending is not None:
            issuer = f"Recura ({operator.account.legal_name})"
            enrolment = {
                "secret": " ".join(pending[i : i + 4] for i in range(0, len(pending), 4)),
                "qr": totp.qr_data_uri(pending, me.email, issuer),
            }
        session.expunge(me)
    return auth.render(
        request,
        operator,
        "account.html",
        status,
        me=me,
        enrolment=enrolment,
        done=done if done in DONE else None,
        error=error,
        error_form=error_form,
        choices=i18n.languages(),
    )


@router.get("")
def account(
    request: Request, done: str | None = None, operator: Operator = Depends(SIGNED_IN)
) -> Response:
    return _page(request, operator, done=done)


@router.post("/{action}")
async def act(action: str, request: Request, operator: Operator = Depends(SIGNED_IN)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_act, request, operator, action, fields)


def _act(request: Request, operator: Operator, action: str, fields: dict[str, str]) -> Response:
    if action not in ("password", "language", "totp_start", "totp_confirm", "totp_off"):
        return auth.render(request, operator, "not_found.html", 404)
    if not auth.form_accepted(request, operator, f"account_{action}", fields):
        return _page(request, operator, error="page.form_expired", error_form=action, status=403)
    now = request.app.state.clock.now()
    secret = request.app.state.secret
    done: str | None = None
    try:
        with pages.unit(request) as session:
            me = users.get(session, operator.account.id, operator.user.id)
            assert me is not None
            if action == "password":
                if fields.get("new", "") != fields.get("repeat", ""):
                    raise UserProblem("password_mismatch")
                users.change_password(
                    session,
                    me,
                    fields.get("current", "")[:1024],
                    fields.get("new", "")[:1024],
                    now,
                    keep=operator.binding,
                )
                done = "password"
                audit.record(session, request, operator, "user.password_change", "user", me.id)
            elif action == "language":
                chosen = (
                    languages.negotiate(fields.get("language")) if fields.get("language") else None
                )
                users.set_locale(session, me, chosen)
                done = "language"
            elif action == "totp_start":
                users.begin_totp(session, secret, me)
            elif action == "totp_confirm":
                users.confirm_totp(session, secret, me, fields.get("code", "")[:20], now)
                done = "totp_on"
                audit.record(session, request, operator, "user.totp_enable", "user", me.id)
            else:
                users.disable_totp(session, me, fields.get("password", "")[:1024])
                done = "totp_off"
                audit.record(session, request, operator, "user.totp_disable", "user", me.id)
    except UserProblem as problem:
        return _page(
            request, operator, error=f"problem.{problem.key}", error_form=action, status=422
        )
    target = "/console/account" + (f"?done={done}" if done else "#totp")
    return RedirectResponse(target, status_code=303)
