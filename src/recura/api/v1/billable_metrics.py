from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.billable_metrics import service
from recura.domains.billable_metrics.schemas import (
    BillableMetricCreate,
    BillableMetricOut,
    BillableMetricUpdate,
)

router = APIRouter(
    prefix="/v1/billable_metrics",
    tags=["billable metrics"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
BillableMetricList = list_schema(BillableMetricOut)


@router.post(
    "", status_code=201, response_model=BillableMetricOut, summary="Create a billable metric"
)
def create_billable_metric(
    body: BillableMetricCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> BillableMetricOut:
    return service.to_out(service.create(session, tenant, body, clock.now()))


@router.get("", response_model=BillableMetricList, summary="List billable metrics, newest first")
def list_billable_metrics(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    code: Annotated[str | None, Query(max_length=64)] = None,
    archived: bool | None = None,
) -> BaseModel:
    result = service.page(
        session,
        tenant,
        limit=page.limit,
        starting_after=page.starting_after,
        code=code,
        archived=archived,
    )
    return BillableMetricList(
        data=[service.to_out(m) for m in result.items], has_more=result.has_more
    )


@router.get("/{id}", response_model=BillableMetricOut, summary="Get a billable metric")
def get_billable_metric(id: str, session: SessionDep, tenant: TenantDep) -> BillableMetricOut:
    return service.to_out(service.get(session, tenant, id))


@router.patch(
    "/{id}",
    response_model=BillableMetricOut,
    summary="Rename a billable metric (aggregation, field and filters are fixed)",
)
def update_billable_metric(
    id: str, body: BillableMetricUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> BillableMetricOut:
    return service.to_out(service.update(session, tenant, id, body, clock.now()))


@router.post("/{id}/archive", response_model=BillableMetricOut, summary="Archive a billable metric")
def archive_billable_metric(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> BillableMetricOut:
    return service.to_out(service.archive(session, tenant, id, clock.now()))
