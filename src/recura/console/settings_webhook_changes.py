"""Settings, Webhooks: changing an endpoint after it was made (address, events, description,
batch size) and replacing its signing secret.

Both call what `PATCH /v1/webhook_endpoints/{id}` and `…/rotate_secret` call
(`webhook_endpoints.service`), so page and API refuse alike, and the service notes what
changed (the secret only as changed) for the audit entry. The secret is never shown back:
only the answer that replaced it shows the new one, once, as creating does. Replacing is
its own step with a confirmation page, since receivers that miss the new secret start
refusing what is sent once the old one stops signing.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, pages
from recura.console.auth import Operator
from recura.console.settings import PAGES, WRITE
from recura.console.settings_webhooks import field_errors, show
from recura.domains.common.errors import InvalidError, NotFoundError
from recura.domains.webhook_endpoints import service as endpoints
from recura.domains.webhook_endpoints.schemas import WebhookEndpointUpdate

router = APIRouter(prefix="/console/settings/webhooks")
FIELDS = ("url", "description", "enabled_events", "batch_size")
# How long the old secret keeps signing beside the new one, as the API's
# `expire_previous_in_hours` (0 to 168): the choices the page offers.
OVERLAPS = (0, 24, 72, 168)
DEFAULT_OVERLAP = 24


@router.post("/{endpoint_id}/edit")
async def edit(endpoint_id: str, request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_edit, request, operator, endpoint_id[:64], fields)


def _edit(
    request: Request, operator: Operator, endpoint_id: str, fields: dict[str, str]
) -> Response:
    values = {name: fields.get(name, "")[:2048] for name in FIELDS}
    locale = operator.locale
    if not auth.form_accepted(request, operator, f"webhook_edit_{endpoint_id}", fields):
        errors = {"": pages.text("page.form_expired", locale)}
        return show(request, operator, endpoint_id, errors=errors, values=values, status=403)
    events = values["enabled_events"].replace(",", " ").split()
    try:
        batch = int(values["batch_size"].strip() or "1")
    except ValueError:
        errors = {"batch_size": pages.text("webhooks.error.batch_size", locale)}
        return show(request, operator, endpoint_id, errors=errors, values=values, status=422)
    try:
        update = WebhookEndpointUpdate(
            url=values["url"].strip(),
            description=values["description"].strip() or None,
            enabled_events=events or ["*"],
            batch_size=batch,
        )
        with pages.unit(request) as session:
            tenant = endpoints.mode_of(session, operator.account.id, endpoint_id)
            endpoints.update_endpoint(
                session,
                tenant,
                endpoint_id,
                update,
                request.app.state.clock.now(),
                bool(request.app.state.settings.webhooks_allow_private),
            )
            audit.record(
                session,
                request,
                operator,
                "webhook_endpoint.update",
                "webhook_endpoint",
                endpoint_id,
                livemode=tenant.livemode,
            )
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    except (ValidationError, InvalidError) as error:
        errors = field_errors(error, locale)
        return show(request, operator, endpoint_id, errors=errors, values=values, status=422)
    return RedirectResponse(
        f"/console/settings/webhooks/{endpoint_id}?done=updated", status_code=303
    )


@router.get("/{endpoint_id}/rotate")
def confirm_rotation(
    endpoint_id: str, request: Request, operator: Operator = Depends(WRITE)
) -> HTMLResponse:
    return _confirmation(request, operator, endpoint_id[:64])


def _confirmation(
    request: Request, operator: Operator, endpoint_id: str, *, error: str | None = None
) -> HTMLResponse:
    try:
        with pages.unit(request) as session:
            tenant = endpoints.mode_of(session, operator.account.id, endpoint_id)
            endpoint = endpoints.to_out(endpoints.get(session, tenant, endpoint_id))
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    return auth.render(
        request,
        operator,
        "settings_webhook_rotate.html",
        403 if error else 200,
        settings_page="webhooks",
        settings_pages=PAGES,
        endpoint=endpoint,
        overlaps=OVERLAPS,
        chosen=DEFAULT_OVERLAP,
        test=not tenant.livemode,
        error=error,
    )


@router.post("/{endpoint_id}/rotate")
async def rotate(
    endpoint_id: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_rotate, request, operator, endpoint_id[:64], fields)


def _rotate(
    request: Request, operator: Operator, endpoint_id: str, fields: dict[str, str]
) -> Response:
    if not auth.form_accepted(request, operator, f"webhook_rotate_{endpoint_id}", fields):
        return _confirmation(request, operator, endpoint_id, error="page.form_expired")
    try:
        overlap = int(fields.get("overlap", ""))
    except ValueError:
        overlap = DEFAULT_OVERLAP
    if overlap not in OVERLAPS:
        overlap = DEFAULT_OVERLAP
    try:
        with pages.unit(request) as session:
            tenant = endpoints.mode_of(session, operator.account.id, endpoint_id)
            rotated = endpoints.rotate_secret(
                session, tenant, endpoint_id, overlap, request.app.state.clock.now()
            )
            audit.record(
                session,
                request,
                operator,
                "webhook_endpoint.rotate_secret",
                "webhook_endpoint",
                endpoint_id,
                livemode=tenant.livemode,
            )
            secret = rotated.secret
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    # The one time the new secret is shown: this answer, not a redirect to a page that
    # could be reloaded or cached.
    return show(request, operator, endpoint_id, done="rotated", secret=secret)
