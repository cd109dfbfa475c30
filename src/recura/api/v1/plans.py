from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.db.models import Plan
from recura.domains.common.tenant import Tenant
from recura.domains.plans import quote, service
from recura.domains.plans.schemas import (
    PlanCreate,
    PlanOut,
    PlanUpdate,
    PlanVersionOut,
    QuoteOut,
    QuoteRequest,
)

router = APIRouter(
    prefix="/v1/plans",
    tags=["catalog"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
PlanList = list_schema(PlanOut)
PlanVersionList = list_schema(PlanVersionOut)


def _one(session: Session, tenant: Tenant, plan: Plan) -> PlanOut:
    return service.plans_out(session, tenant, [plan])[0]


@router.post("", status_code=201, response_model=PlanOut, summary="Create a plan")
def create_plan(
    body: PlanCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PlanOut:
    return _one(session, tenant, service.create(session, tenant, body, clock.now()))


@router.get("", response_model=PlanList, summary="List plans, newest first")
def list_plans(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    code: Annotated[str | None, Query(max_length=64)] = None,
    product: Annotated[str | None, Query(max_length=40)] = None,
    archived: bool | None = None,
) -> BaseModel:
    result = service.page(
        session,
        tenant,
        limit=page.limit,
        starting_after=page.starting_after,
        code=code,
        product=product,
        archived=archived,
    )
    return PlanList(data=service.plans_out(session, tenant, result.items), has_more=result.has_more)


@router.get("/{id}", response_model=PlanOut, summary="Get a plan with its current version")
def get_plan(id: str, session: SessionDep, tenant: TenantDep) -> PlanOut:
    return _one(session, tenant, service.get(session, tenant, id))


@router.patch(
    "/{id}",
    response_model=PlanOut,
    summary="Change a plan; a price change creates a new version",
)
def update_plan(
    id: str, body: PlanUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PlanOut:
    return _one(session, tenant, service.update(session, tenant, id, body, clock.now()))


@router.post("/{id}/archive", response_model=PlanOut, summary="Archive a plan (no new sales)")
def archive_plan(id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep) -> PlanOut:
    return _one(session, tenant, service.archive(session, tenant, id, clock.now()))


@router.get("/{id}/versions", response_model=PlanVersionList, summary="All versions, newest first")
def list_versions(id: str, session: SessionDep, tenant: TenantDep) -> BaseModel:
    found = service.versions(session, tenant, id)
    return PlanVersionList(data=service.versions_out(session, tenant, found), has_more=False)


@router.get("/{id}/versions/{version}", response_model=PlanVersionOut, summary="One version")
def get_version(
    id: str,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    session: SessionDep,
    tenant: TenantDep,
) -> PlanVersionOut:
    found = service.version(session, tenant, id, version)
    return service.versions_out(session, tenant, [found])[0]


@router.post(
    "/{id}/quote",
    response_model=QuoteOut,
    summary="Price a quantity and usage on this plan, itemised",
)
def quote_plan(id: str, body: QuoteRequest, session: SessionDep, tenant: TenantDep) -> QuoteOut:
    return quote.quote(session, tenant, id, body)
