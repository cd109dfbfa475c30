"""Settings, Webhooks: the endpoints of one mode, making one (its signing secret shown
once, on the answer), disabling, enabling and deleting one, and each endpoint's delivery
log (every attempt's time, status code and error) with a button to send a delivery again.
Changing an endpoint and replacing its secret are `settings_webhook_changes`'.

It calls what `/v1/webhook_endpoints` calls (`webhook_endpoints.service`): a replay queues
the endpoint's existing delivery of the event again under the event's id (no second
delivery row), as the API's replay does. Each action leaves an audit entry in the
endpoint's mode.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, modes, pages
from recura.console.auth import Operator
from recura.console.settings import PAGES, READ, WRITE
from recura.domains.audit import changes
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.webhook_endpoints import service as endpoints
from recura.domains.webhook_endpoints.schemas import (
    Replay,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)

router = APIRouter(prefix="/console/settings/webhooks")
SHOWN = 100
DELIVERIES = 50
DONE = {"enabled", "disabled", "deleted", "replayed", "updated", "rotated"}


def _tenant(operator: Operator, test: bool) -> Tenant:
    return Tenant(operator.account.id, livemode=not test)


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhooks_allow_private)


def _list(
    request: Request,
    operator: Operator,
    test: bool,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    created: object = None,
    status: int = 200,
) -> HTMLResponse:
    with pages.unit(request) as session:
        found = endpoints.page(session, _tenant(operator, test), SHOWN, None)
        listed = [endpoints.to_out(e) for e in found.items]
    return auth.render(
        request,
        operator,
        "settings_webhooks.html",
        status,
        settings_page="webhooks",
        settings_pages=PAGES,
        endpoints=listed,
        test=test,
        mode="test" if test else "live",
        errors=errors or {},
        values=values or {"url": "", "description": "", "enabled_events": "*"},
        created=created,
        done=done if done in DONE else None,
    )


@router.get("")
def webhooks(
    request: Request,
    test: bool = Depends(modes.is_test),
    done: str | None = None,
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    return _list(request, operator, test, done=done)


@router.post("")
async def create(request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_create, request, operator, fields)


def _create(request: Request, operator: Operator, fields: dict[str, str]) -> Response:
    test = fields.get("mode") == "test"
    values = {
        name: fields.get(name, "")[:2048] for name in ("url", "description", "enabled_events")
    }
    locale = operator.locale
    if not auth.form_accepted(request, operator, "webhook_create", fields):
        errors = {"": pages.text("page.form_expired", locale)}
        return _list(request, operator, test, errors=errors, values=values, status=403)
    events = [e.strip() for e in values["enabled_events"].replace(",", " ").split() if e.strip()]
    tenant = _tenant(operator, test)
    try:
        data = WebhookEndpointCreate(
            url=values["url"].strip(),
            description=values["description"].strip() or None,
            enabled_events=events or ["*"],
        )
        with pages.unit(request) as session:
            made = endpoints.create(
                session, tenant, data, request.app.state.clock.now(), _allow_private(request)
            )
            audit.record(
                session,
                request,
                operator,
                "webhook_endpoint.create",
                "webhook_endpoint",
                made.id,
                livemode=tenant.livemode,
            )
            created = endpoints.with_secret(made)
    except (ValidationError, InvalidError) as error:
        errors = field_errors(error, locale)
        return _list(request, operator, test, errors=errors, values=values, status=422)
    # The one time the secret is shown: this answer, never stored or cached.
    return _list(request, operator, test, created=created)


def field_errors(error: ValidationError | InvalidError, locale: str) -> dict[str, str]:
    """The refused fields of an endpoint's form, each with its sentence: the schema's
    (Pydantic) and the address check's (a pointer such as `/url`)."""
    if isinstance(error, ValidationError):
        wrong = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
    else:
        wrong = {e.pointer.strip("/").split("/")[0] or "url" for e in error.errors}
    return {name: pages.text(f"webhooks.error.{name}", locale) for name in wrong}


def show(
    request: Request,
    operator: Operator,
    endpoint_id: str,
    *,
    done: str | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    secret: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """An endpoint's page: its settings, the form that changes them (with what was typed
    and what was refused, beside each field), the delivery log; `secret` only on the
    answer that replaced it."""
    try:
        with pages.unit(request) as session:
            tenant = endpoints.mode_of(session, operator.account.id, endpoint_id[:64])
            endpoint = endpoints.to_out(endpoints.get(session, tenant, endpoint_id[:64]))
            log = endpoints.deliveries(session, tenant, endpoint.id, DELIVERIES, None)
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    if values is None:
        values = {
            "url": endpoint.url,
            "description": endpoint.description or "",
            "enabled_events": " ".join(endpoint.enabled_events),
            "batch_size": str(endpoint.batch_size),
        }
    return auth.render(
        request,
        operator,
        "settings_webhook.html",
        status,
        settings_page="webhooks",
        settings_pages=PAGES,
        endpoint=endpoint,
        errors=errors or {},
        values=values,
        secret=secret,
        deliveries=log.items,
        moment=lambda at: _moment(at, operator),
        more=log.has_more,
        test=not tenant.livemode,
        mode="live" if tenant.livemode else "test",
        done=done if done in DONE else None,
        error=error,
    )


def _moment(at: datetime, operator: Operator) -> str:
    zone = ZoneInfo(operator.account.timezone)
    return format_datetime(at.astimezone(zone), "medium", locale=operator.locale)


@router.get("/{endpoint_id}")
def endpoint_page(
    endpoint_id: str,
    request: Request,
    done: str | None = None,
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    return show(request, operator, endpoint_id, done=done)


@router.post("/{endpoint_id}/{action}")
async def act(
    endpoint_id: str, action: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_act, request, operator, endpoint_id[:64], action, fields)


def _act(
    request: Request, operator: Operator, endpoint_id: str, action: str, fields: dict[str, str]
) -> Response:
    if not auth.form_accepted(request, operator, f"webhook_{action}_{endpoint_id}", fields):
        return show(request, operator, endpoint_id, error="page.form_expired", status=403)
    if action not in ("enable", "disable", "delete", "replay"):
        return auth.render(request, operator, "not_found.html", 404)
    now = request.app.state.clock.now()
    try:
        with pages.unit(request) as session:
            tenant = endpoints.mode_of(session, operator.account.id, endpoint_id)
            if action == "delete":
                endpoints.delete_endpoint(session, tenant, endpoint_id)
                done = "deleted"
            elif action == "replay":
                event = fields.get("event", "")[:40]
                endpoints.replay(session, tenant, endpoint_id, Replay(event=event), now)
                # A replay changes no setting: the entry names the event sent again.
                changes.note(session, {}, {"replayed_event": event})
                done = "replayed"
            else:
                update = WebhookEndpointUpdate(enabled=action == "enable")
                endpoints.update_endpoint(
                    session, tenant, endpoint_id, update, now, _allow_private(request)
                )
                done = f"{action}d"
            audit.record(
                session,
                request,
                operator,
                f"webhook_endpoint.{action}",
                "webhook_endpoint",
                endpoint_id,
                livemode=tenant.livemode,
            )
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    except (ConflictError, InvalidError, ValidationError):
        return show(request, operator, endpoint_id, error=f"webhooks.error.{action}", status=409)
    if action == "delete":
        test = "mode=test&" if not tenant.livemode else ""
        return RedirectResponse(f"/console/settings/webhooks?{test}done={done}", status_code=303)
    return RedirectResponse(
        f"/console/settings/webhooks/{endpoint_id}?done={done}", status_code=303
    )
