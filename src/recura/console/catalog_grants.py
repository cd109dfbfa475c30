"""An add-on's features: which of the account's features a subscription with the add-on
gets, on top of its plan's, and each limit.

The form lists the account's features (not archived, and any the add-on already grants) with
a box to tick and, for a limit or a metered feature, the number (empty: unlimited). Saving
sends the whole list as `AddOnUpdate.features` to the service `PATCH /v1/add_ons/{id}`
calls, which replaces the add-on's grants; its refusals are shown beside the feature they
name, in the operator's language."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, form_errors, operations, pages, refusals
from recura.console.auth import Operator
from recura.console.catalog import path_of, render
from recura.db.models import AddOn, Feature
from recura.domains.add_ons import service as add_ons
from recura.domains.add_ons.schemas import AddOnUpdate
from recura.domains.common import lookup
from recura.domains.common.errors import InvalidError
from recura.domains.common.tenant import Tenant
from recura.domains.features import service as features

router = APIRouter(prefix="/console/catalog")
WRITE = auth.require("catalog.write")
CHOICES = 100
ACTION = "add_on.features_change"


def _add_on(request: Request, operator: Operator, add_on_id: str) -> AddOn | None:
    with pages.unit(request) as session:
        key = (operator.account.id, add_on_id)
        row = lookup.by_keys(session, AddOn, [key]).get(key)
        session.expunge_all()
    return row


def _features(session: Session, tenant: Tenant, granted: set[str]) -> list[Feature]:
    """The features that may be ticked, oldest first: the newest ones not archived, and
    every one the add-on grants already, however old or archived (a grant left off the
    form would be dropped on saving)."""
    rows = {
        f.id: f
        for f in features.page(session, tenant, CHOICES, None, None).items
        if f.archived_at is None
    }
    keys = [(tenant.account_id, feature_id) for feature_id in granted - set(rows)]
    rows |= {f.id: f for f in lookup.by_keys(session, Feature, keys).values()}
    return sorted(rows.values(), key=lambda f: f.id)


def _values(grants: list[Any]) -> dict[str, str]:
    """The form's fields as the add-on has them."""
    values: dict[str, str] = {}
    for grant in grants:
        values[f"grant_{grant.feature}"] = "on"
        if not isinstance(grant.value, bool) and grant.value is not None:
            values[f"value_{grant.feature}"] = str(grant.value)
    return values


def _show(
    request: Request,
    operator: Operator,
    add_on: AddOn,
    values: dict[str, str] | None = None,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    tenant = Tenant(add_on.account_id, add_on.livemode)
    with pages.unit(request) as session:
        (shown,) = add_ons.to_out(session, tenant, [add_on])
        choices = _features(session, tenant, {g.feature for g in shown.features})
        session.expunge_all()
    base = path_of("add_ons")
    return render(
        request,
        operator,
        "catalog_grants.html",
        status,
        add_on=add_on,
        choices=choices,
        values=_values(shown.features) if values is None else values,
        errors=errors or {},
        action=f"{base}/{add_on.id}/features",
        back=f"{base}/{add_on.id}",
        new_feature=path_of("features") + "/new" + ("" if add_on.livemode else "?mode=test"),
        form_name=f"add_on_features_{add_on.id}",
    )


def _grants(
    fields: dict[str, str], choices: list[Feature]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The ticked features as the API's grants, and the form field each one's value is in.
    A number that is not a whole one is refused here, by its field."""
    grants: list[dict[str, Any]] = []
    where: list[str] = []
    for feature in choices:
        if fields.get(f"grant_{feature.id}") != "on":
            continue
        field = f"value_{feature.id}"
        raw = fields.get(field, "").strip()
        value: bool | int | None
        if feature.kind == "boolean":
            value = True
        elif not raw:
            value = None
        elif raw.isdigit():
            value = int(raw)
        else:
            raise _Unreadable(field)
        grants.append({"feature": feature.id, "value": value})
        where.append(field)
    return grants, where


class _Unreadable(Exception):
    def __init__(self, field: str) -> None:
        self.field = field


def _field(steps: list[str], where: list[str]) -> str:
    """The form field of a location in `features` (`/features/2/value`): the third ticked
    feature's number."""
    if len(steps) >= 2 and steps[0] == "features" and steps[1].isdigit():
        index = int(steps[1])
        if index < len(where):
            return where[index]
    return form_errors.FORM


def _submit(
    request: Request, operator: Operator, add_on_id: str, fields: dict[str, str]
) -> Response:
    add_on = _add_on(request, operator, add_on_id)
    if add_on is None:
        return auth.render(request, operator, "not_found.html", 404)
    tenant = Tenant(add_on.account_id, add_on.livemode)
    locale = operator.locale
    with pages.unit(request) as session:
        (shown,) = add_ons.to_out(session, tenant, [add_on])
        choices = _features(session, tenant, {g.feature for g in shown.features})
        session.expunge_all()
    values = {
        name: fields.get(name, "")[:20]
        for feature in choices
        for name in (f"grant_{feature.id}", f"value_{feature.id}")
    }

    def again(errors: dict[str, str], status: int) -> HTMLResponse:
        return _show(request, operator, add_on, values, errors=errors, status=status)

    if not auth.form_accepted(request, operator, f"add_on_features_{add_on.id}", fields):
        return again({form_errors.FORM: operations.text("page.form_expired", locale)}, 403)
    try:
        grants, where = _grants(values, choices)
        data = AddOnUpdate.model_validate({"features": grants})
    except _Unreadable as unreadable:
        return again({unreadable.field: operations.text("error.whole_number", locale)}, 422)
    except ValidationError as error:
        found = form_errors.of_validation(error, locale)
        return again({form_errors.FORM: " ".join(found.values())}, 422)
    try:
        with pages.unit(request) as session:
            add_ons.update(session, tenant, add_on.id, data, request.app.state.clock.now())
            audit.record(
                session, request, operator, ACTION, "add_on", add_on.id, livemode=tenant.livemode
            )
    except InvalidError as refused:
        errors: dict[str, str] = {}
        for problem in refused.errors:
            steps = [step for step in problem.pointer.split("/") if step]
            errors.setdefault(_field(steps, where), refusals.sentence(problem.detail, locale))
        return again(errors, 422)
    where_to = f"{path_of('add_ons')}/{add_on.id}?done=updated"
    return RedirectResponse(where_to, status_code=303)


def _get(request: Request, object_id: str, operator: Operator = Depends(WRITE)) -> HTMLResponse:
    add_on = _add_on(request, operator, object_id[:64])
    if add_on is None:
        return auth.render(request, operator, "not_found.html", 404)
    return _show(request, operator, add_on)


async def _post(request: Request, object_id: str, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_submit, request, operator, object_id[:64], fields)


_PATH = path_of("add_ons").removeprefix("/console/catalog") + "/{object_id}/features"
router.add_api_route(_PATH, _get, methods=["GET"], name="console_add_on_features")
router.add_api_route(_PATH, _post, methods=["POST"], name="console_add_on_features_post")
