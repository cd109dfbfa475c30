"""Archiving a catalog object from its page: a confirmation that says what archiving does to
that kind, then the API's own archive operation, with an audit entry.

Archiving only stops new business: an archived plan leaves the pricing page and takes no
new subscription, an archived add-on or coupon is no longer added or redeemed, and so on;
what subscriptions already have stays theirs. The domains have no way back, so the page says
it is final. Promotion codes are turned off on their edit form instead (`active`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, operations, pages, refusals
from recura.console.auth import Operator
from recura.console.catalog import BY_KEY, Kind, path_of, render
from recura.domains.add_ons import service as add_ons
from recura.domains.billable_metrics import service as metrics
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import service as coupons
from recura.domains.features import service as features
from recura.domains.plans import service as plans
from recura.domains.products import service as products

router = APIRouter(prefix="/console/catalog")
WRITE = auth.require("catalog.write")

Archiver = Callable[[Session, Tenant, str, datetime], Any]


@dataclass(frozen=True, slots=True)
class Archivable:
    kind: Kind
    target: str  # the audit entry's type: "plan" (its action: "plan.archive")
    archive: Archiver  # the service the API's `POST /v1/<kind>/{id}/archive` calls


ARCHIVERS = {
    a.kind.key: a
    for a in (
        Archivable(BY_KEY["products"], "product", products.archive),
        Archivable(BY_KEY["plans"], "plan", plans.archive),
        Archivable(BY_KEY["features"], "feature", features.archive),
        Archivable(BY_KEY["billable_metrics"], "billable_metric", metrics.archive),
        Archivable(BY_KEY["add_ons"], "add_on", add_ons.archive),
        Archivable(BY_KEY["coupons"], "coupon", coupons.archive_coupon),
    )
}


def _row(request: Request, operator: Operator, archivable: Archivable, object_id: str) -> Any:
    with pages.unit(request) as session:
        key = (operator.account.id, object_id)
        row = lookup.by_keys(session, archivable.kind.model, [key]).get(key)
        session.expunge_all()
    return row


def _confirm(
    request: Request,
    operator: Operator,
    archivable: Archivable,
    row: Any,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    base = path_of(archivable.kind.key)
    return render(
        request,
        operator,
        "catalog_archive.html",
        status,
        kind=archivable.kind,
        row=row,
        name=getattr(row, "name", None) or getattr(row, "code", row.id),
        action=f"{base}/{row.id}/archive",
        back=f"{base}/{row.id}",
        form_name=f"archive_{row.id}",
        error=error,
    )


def _get_endpoint(archivable: Archivable) -> Callable[..., HTMLResponse]:
    def confirm(
        request: Request, object_id: str, operator: Operator = Depends(WRITE)
    ) -> HTMLResponse:
        row = _row(request, operator, archivable, object_id[:64])
        if row is None:
            return auth.render(request, operator, "not_found.html", 404)
        return _confirm(request, operator, archivable, row)

    return confirm


def _post_endpoint(archivable: Archivable) -> Callable[..., Any]:
    async def archive(
        request: Request, object_id: str, operator: Operator = Depends(WRITE)
    ) -> Response:
        fields = await pages.form(request)
        return await run_in_threadpool(
            _archive, request, operator, archivable, object_id[:64], fields
        )

    return archive


def _archive(
    request: Request,
    operator: Operator,
    archivable: Archivable,
    object_id: str,
    fields: dict[str, str],
) -> Response:
    row = _row(request, operator, archivable, object_id)
    if row is None:
        return auth.render(request, operator, "not_found.html", 404)
    locale = operator.locale
    if not auth.form_accepted(request, operator, f"archive_{row.id}", fields):
        error = operations.text("page.form_expired", locale)
        return _confirm(request, operator, archivable, row, error=error, status=403)
    tenant = Tenant(row.account_id, row.livemode)
    try:
        with pages.unit(request) as session:
            archivable.archive(session, tenant, row.id, request.app.state.clock.now())
            audit.record(
                session,
                request,
                operator,
                f"{archivable.target}.archive",
                archivable.target,
                row.id,
                livemode=tenant.livemode,
            )
    except ConflictError as refused:  # archived meanwhile, by another person or the API
        row = _row(request, operator, archivable, object_id)
        error = refusals.sentence(refused.detail, locale)
        return _confirm(request, operator, archivable, row, error=error, status=409)
    where = path_of(archivable.kind.key) + f"/{row.id}?done=archived"
    return RedirectResponse(where, status_code=303)


for _archivable in ARCHIVERS.values():
    _path = path_of(_archivable.kind.key).removeprefix("/console/catalog") + "/{object_id}/archive"
    _name = f"console_{_archivable.target}_archive"
    router.add_api_route(_path, _get_endpoint(_archivable), methods=["GET"], name=_name)
    router.add_api_route(_path, _post_endpoint(_archivable), methods=["POST"], name=_name + "_post")
