"""Settings, Processors: the Stripe and PayPal connections of one mode (test or live),
connecting one with keys typed into a form, and disconnecting it.

It calls what `/v1/gateway_connections` calls (`payments.connections`); a saved secret is
never shown again, only its first and last characters (`GatewayConnectionOut`), and the
inputs for secrets are always empty. The audit entries (`gateway_connection.save`,
`gateway_connection.delete`) say which settings changed, secrets masked.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, modes, pages
from recura.console.auth import Operator
from recura.console.settings import PAGES, READ, WRITE
from recura.domains.common.errors import InvalidError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.payments import connections
from recura.domains.payments.schemas import ConnectionIn, GatewayConnectionOut

router = APIRouter(prefix="/console/settings/processors")
# What an operator connects here; the sandbox is for trying things through the API.
GATEWAYS: dict[str, tuple[str, ...]] = {
    "stripe": ("api_key", "webhook_secret", "publishable_key"),
    "paypal": ("client_id", "webhook_id", "client_secret"),
}
SECRET = {"api_key", "webhook_secret", "client_secret"}
DONE = {"connected", "disconnected"}
_CONNECTION = TypeAdapter(ConnectionIn)


def _tenant(operator: Operator, test: bool) -> Tenant:
    return Tenant(operator.account.id, livemode=not test)


def _page(
    request: Request,
    operator: Operator,
    test: bool,
    *,
    done: str | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    with pages.unit(request) as session:
        found = [
            GatewayConnectionOut.of(c) for c in connections.listed(session, _tenant(operator, test))
        ]
    base = request.app.state.settings.public_url.rstrip("/")
    return auth.render(
        request,
        operator,
        "settings_processors.html",
        status,
        settings_page="processors",
        settings_pages=PAGES,
        connected={c.gateway: c for c in found},
        gateways=GATEWAYS,
        secret=SECRET,
        base_url=base,
        test=test,
        mode="test" if test else "live",
        errors=errors or {},
        values=values or {},
        done=done if done in DONE else None,
    )


@router.get("")
def processors(
    request: Request,
    test: bool = Depends(modes.is_test),
    done: str | None = None,
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    return _page(request, operator, test, done=done)


@router.post("/{gateway}")
async def connect(gateway: str, request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_connect, request, operator, gateway, fields)


def _connect(
    request: Request, operator: Operator, gateway: str, fields: dict[str, str]
) -> Response:
    test = fields.get("mode") == "test"
    if gateway not in GATEWAYS:
        return auth.render(request, operator, "not_found.html", 404)
    # What was typed comes back on a refusal, except the secrets.
    kept = {name: fields.get(name, "")[:255] for name in GATEWAYS[gateway] if name not in SECRET}
    values = {gateway: kept}
    locale = operator.locale
    if not auth.form_accepted(request, operator, f"processor_{gateway}", fields):
        errors = {gateway: {"": pages.text("page.form_expired", locale)}}
        return _page(request, operator, test, errors=errors, values=values, status=403)
    body: dict[str, Any] = {"gateway": gateway}
    for name in GATEWAYS[gateway]:
        value = fields.get(name, "").strip()[:300]
        if value or name != "publishable_key":
            body[name] = value
    tenant = _tenant(operator, test)
    try:
        data = _CONNECTION.validate_python(body)
        with pages.unit(request) as session:
            saved = connections.save(session, tenant, data, request.app.state.clock.now())
            audit.record(
                session,
                request,
                operator,
                "gateway_connection.save",
                "gateway_connection",
                saved.id,
                livemode=tenant.livemode,
            )
    except ValidationError as error:
        wrong = {str(e["loc"][1]) if len(e["loc"]) > 1 else "" for e in error.errors()}
        errors = {gateway: {name: _message(gateway, name, locale) for name in wrong}}
        return _page(request, operator, test, errors=errors, values=values, status=422)
    except InvalidError as error:
        wrong = {e.pointer.strip("/") for e in error.errors}
        errors = {gateway: {name: _message(gateway, name, locale) for name in wrong}}
        return _page(request, operator, test, errors=errors, values=values, status=422)
    return RedirectResponse(_back(test, "connected"), status_code=303)


def _message(gateway: str, name: str, locale: str) -> str:
    if name in GATEWAYS[gateway]:
        return pages.text(f"processors.error.{name}", locale)
    return pages.text("settings.error.invalid", locale)


@router.post("/{gateway}/disconnect")
async def disconnect(
    gateway: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_disconnect, request, operator, gateway, fields)


def _disconnect(
    request: Request, operator: Operator, gateway: str, fields: dict[str, str]
) -> Response:
    test = fields.get("mode") == "test"
    if not auth.form_accepted(request, operator, f"processor_disconnect_{gateway}", fields):
        errors = {gateway: {"": pages.text("page.form_expired", operator.locale)}}
        return _page(request, operator, test, errors=errors, status=403)
    tenant = _tenant(operator, test)
    try:
        with pages.unit(request) as session:
            gone = connections.delete(session, tenant, gateway[:16])
            audit.record(
                session,
                request,
                operator,
                "gateway_connection.delete",
                "gateway_connection",
                gone.id,
                livemode=tenant.livemode,
            )
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    return RedirectResponse(_back(test, "disconnected"), status_code=303)


def _back(test: bool, done: str) -> str:
    return f"/console/settings/processors?{'mode=test&' if test else ''}done={done}"
