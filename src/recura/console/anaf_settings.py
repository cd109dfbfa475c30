"""The ANAF e-Factura connection page (Settings → ANAF e-Factura): each mode's connection
as it stands (the refresh token's end, warned of ahead; the last refresh error; the calls
counted today against ANAF's limits), the form that saves the merchant's ANAF application
and sends the browser to ANAF's authorize page, the callback that page comes back to, and
disconnecting.

The callback's token exchange is an HTTP call to ANAF: it is made between two units of
work, none open while it runs (`connections.begin_callback`, `exchange`, `store`).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, pages
from recura.console.auth import Operator
from recura.domains.common.errors import ConflictError, InvalidError
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import connections, limits
from recura.domains.efactura.connections import Anaf
from recura.gateways.anaf import oauth
from recura.gateways.anaf.http import AnafUnreachable
from recura.web import csp

router = APIRouter(prefix="/console/settings/anaf")
WRITE = auth.require("settings.write")
MODES = ("test", "live")
DONE = {"connected", "disconnected"}
CALLBACK = "/console/settings/anaf/callback"


def _anaf(request: Request) -> Anaf:
    return Anaf.of(request.app.state.secret)


def _page(
    request: Request,
    operator: Operator,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    now = request.app.state.clock.now()
    shown = {}
    with pages.unit(request) as session:
        for mode in MODES:
            tenant = Tenant(operator.account.id, livemode=mode == "live")
            shown[mode] = (
                connections.to_out(connections.get(session, tenant), now),
                limits.used_today(session, tenant.account_id, tenant.livemode, now),
            )
    anaf = _anaf(request)
    frame = operator.frame()
    # The connect form's answer leads to ANAF's authorize page.
    frame = replace(
        frame, policy=replace(frame.policy, form_targets=(csp.origin(anaf.oauth_base),))
    )
    return auth.render(
        request,
        operator,
        "anaf_settings.html",
        status,
        frame=frame,
        shown=shown,
        modes=MODES,
        done=done if done in DONE else None,
        error=error,
        values=values or {"mode": "test", "client_id": ""},
        callback=_callback_url(request),
    )


def _callback_url(request: Request) -> str:
    public_url: str = request.app.state.settings.public_url
    return public_url.rstrip("/") + CALLBACK


@router.get("")
def settings_page(
    request: Request, done: str | None = None, operator: Operator = Depends(WRITE)
) -> Response:
    return _page(request, operator, done=done)


@router.post("")
async def connect(request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_connect, request, operator, fields)


def _connect(request: Request, operator: Operator, fields: dict[str, str]) -> Response:
    values = {
        "mode": fields.get("mode", "test"),
        "client_id": fields.get("client_id", "")[:200],
    }
    if not auth.form_accepted(request, operator, "anaf_connect", fields):
        return _page(request, operator, error="page.form_expired", status=403, values=values)
    if values["mode"] not in MODES:
        return _page(request, operator, error="anaf.error.mode", status=422, values=values)
    livemode = values["mode"] == "live"
    tenant = Tenant(operator.account.id, livemode)
    try:
        with pages.unit(request) as session:
            url = connections.start(
                session,
                tenant,
                _anaf(request),
                values["client_id"],
                fields.get("client_secret", "")[:500],
                _callback_url(request),
                request.app.state.clock.now(),
            )
            audit.record(
                session,
                request,
                operator,
                "anaf_connection.start",
                "anaf_connection",
                None,
                livemode=livemode,
            )
    except InvalidError as error:
        field = error.errors[0].pointer.strip("/") if error.errors else "client_id"
        return _page(request, operator, error=f"anaf.error.{field}", status=422, values=values)
    except ConflictError:
        return _page(request, operator, error="anaf.error.cui", status=409, values=values)
    return RedirectResponse(url, status_code=303)


@router.get("/callback")
async def callback(
    request: Request,
    code: str = "",
    state: str = "",
    error: str = "",
    operator: Operator = Depends(WRITE),
) -> Response:
    return await run_in_threadpool(_callback, request, operator, code[:4000], state[:200], error)


def _callback(request: Request, operator: Operator, code: str, state: str, error: str) -> Response:
    livemode = connections.livemode_of_state(state)
    if error or not code or livemode is None:
        # Not the operator's mistake: ANAF's answer says no (or nothing); the page says so.
        return _page(request, operator, error="anaf.error.refused")
    tenant = Tenant(operator.account.id, livemode)
    anaf = _anaf(request)
    try:
        with pages.unit(request) as session:
            pending = connections.begin_callback(session, tenant, anaf, state)
    except ConflictError:
        return _page(request, operator, error="anaf.error.state", status=409)
    try:
        tokens = connections.exchange(anaf, pending, code, request.app.state.clock.now())
    except (oauth.TokenRefused, AnafUnreachable):
        return _page(request, operator, error="anaf.error.exchange", status=502)
    with pages.unit(request) as session:
        conn = connections.store(session, tenant, anaf, tokens, request.app.state.clock.now())
        audit.record(
            session,
            request,
            operator,
            "anaf_connection.connect",
            "anaf_connection",
            conn.id,
            livemode=livemode,
        )
    return RedirectResponse("/console/settings/anaf?done=connected", status_code=303)


@router.post("/disconnect")
async def disconnect(request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_disconnect, request, operator, fields)


def _disconnect(request: Request, operator: Operator, fields: dict[str, str]) -> Response:
    mode = fields.get("mode", "")
    if not auth.form_accepted(request, operator, f"anaf_disconnect_{mode}", fields):
        return _page(request, operator, error="page.form_expired", status=403)
    if mode not in MODES:
        return _page(request, operator, error="anaf.error.mode", status=422)
    livemode = mode == "live"
    with pages.unit(request) as session:
        if connections.disconnect(session, Tenant(operator.account.id, livemode)):
            audit.record(
                session,
                request,
                operator,
                "anaf_connection.disconnect",
                "anaf_connection",
                None,
                livemode=livemode,
            )
    return RedirectResponse("/console/settings/anaf?done=disconnected", status_code=303)
