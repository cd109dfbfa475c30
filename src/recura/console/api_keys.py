"""The API keys page (Developers): the account's keys of both modes, a form to create one
(its secret shown once, on the answer to that form), and revoking one after a confirmation.

It calls the domain functions the API calls (`domains/accounts/api_keys.py`), so a key made
here is the API's in every respect; `created_by` is the user's email.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, pages
from recura.console.auth import Operator
from recura.domains.accounts import api_keys, scopes
from recura.domains.accounts.api_key_schemas import ApiKeyCreate
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError

router = APIRouter(prefix="/console/api-keys")
MANAGE = auth.require("api_keys.manage")
DONE = {"revoked"}
SHOWN = 200
MODES = ("test", "live")


def _page(
    request: Request,
    operator: Operator,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
    confirm: str | None = None,
) -> HTMLResponse:
    with pages.unit(request) as session:
        keys = api_keys.of_account(session, operator.account.id, SHOWN)
        session.expunge_all()
    confirming = next((key for key in keys if key.id == confirm and not key.revoked_at), None)
    return auth.render(
        request,
        operator,
        "api_keys.html",
        status,
        keys=keys,
        redacted=_redacted,
        done=done if done in DONE else None,
        error=error,
        values=values or {"name": "", "mode": "test", "scope": "full"},
        modes=MODES,
        scopes=scopes.SCOPES,
        families=scopes.FAMILIES,
        full_only=scopes.FULL_ONLY_WRITES,
        confirming=confirming,
    )


def _redacted(key: object) -> str:
    return api_keys.key_out(key).redacted  # type: ignore[arg-type]


@router.get("")
def listing(
    request: Request,
    done: str | None = None,
    revoke: str | None = None,
    operator: Operator = Depends(MANAGE),
) -> Response:
    return _page(request, operator, done=done, confirm=revoke)


@router.post("")
async def create(request: Request, operator: Operator = Depends(MANAGE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_create, request, operator, fields)


def _create(request: Request, operator: Operator, fields: dict[str, str]) -> Response:
    values = {
        name: fields.get(name, "")[:200]
        for name in ("name", "mode", "scope", *(f"perm_{f}" for f in scopes.FAMILIES))
    }
    if not auth.form_accepted(request, operator, "api_key_create", fields):
        return _page(request, operator, error="page.form_expired", status=403, values=values)
    if values["mode"] not in MODES:
        return _page(request, operator, error="api_keys.error.mode", status=422, values=values)
    chosen = {
        family: values[f"perm_{family}"]
        for family in scopes.FAMILIES
        if values["scope"] == "restricted" and values[f"perm_{family}"] in scopes.LEVELS
    }
    try:
        data = ApiKeyCreate(name=values["name"], scope=values["scope"], permissions=chosen)
    except ValidationError as error:
        field = str(error.errors()[0]["loc"][0]) if error.errors() else "name"
        key = "name" if field == "name" else "scope"
        return _page(request, operator, error=f"api_keys.error.{key}", status=422, values=values)
    livemode = values["mode"] == "live"
    try:
        with pages.unit(request) as session:
            issued = api_keys.issue(
                session,
                operator.account.id,
                livemode,
                data,
                request.app.state.secret,
                request.app.state.clock.now(),
                operator.user.email,
            )
            audit.record(
                session,
                request,
                operator,
                "api_key.create",
                "api_key",
                issued.key.id,
                livemode=livemode,
            )
            session.expunge(issued.key)
    except InvalidError:
        return _page(
            request, operator, error="api_keys.error.permissions", status=422, values=values
        )
    # The one time the secret is shown: this answer, never stored or cached (`Frame.private`).
    return auth.render(
        request,
        operator,
        "api_key_created.html",
        key=issued.key,
        token=issued.token,
        redacted=_redacted(issued.key),
    )


@router.post("/{key_id}/revoke")
async def revoke(key_id: str, request: Request, operator: Operator = Depends(MANAGE)) -> Response:
    fields = await pages.form(request)
    if not auth.form_accepted(request, operator, f"api_key_revoke_{key_id}", fields):
        return await run_in_threadpool(
            _page, request, operator, error="page.form_expired", status=403
        )
    # Dropped before the commit too, as the API does: the cache refuses the key meanwhile.
    request.app.state.api_keys.drop_key(key_id)
    answer = await run_in_threadpool(_revoke, request, operator, key_id)
    request.app.state.api_keys.drop_key(key_id)
    return answer


def _revoke(request: Request, operator: Operator, key_id: str) -> Response:
    try:
        with pages.unit(request) as session:
            key = api_keys.get_of_account(session, operator.account.id, key_id)
            api_keys.revoke(session, key, request.app.state.clock.now())
            audit.record(
                session,
                request,
                operator,
                "api_key.revoke",
                "api_key",
                key.id,
                livemode=key.livemode,
            )
    except NotFoundError:
        return _page(request, operator, error="api_keys.error.not_found", status=404)
    except ConflictError:
        return _page(request, operator, error="api_keys.error.already_revoked", status=409)
    return RedirectResponse("/console/api-keys?done=revoked", status_code=303)
