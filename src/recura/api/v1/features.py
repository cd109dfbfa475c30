from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.features import service
from recura.domains.features.schemas import FeatureCreate, FeatureOut, FeatureUpdate

router = APIRouter(
    prefix="/v1/features",
    tags=["catalog"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
FeatureList = list_schema(FeatureOut)


@router.post("", status_code=201, response_model=FeatureOut, summary="Define a feature")
def create_feature(
    body: FeatureCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> FeatureOut:
    return service.to_out(service.create(session, tenant, body, clock.now()))


@router.get("", response_model=FeatureList, summary="List features, newest first")
def list_features(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> BaseModel:
    result = service.page(session, tenant, page.limit, page.starting_after, code)
    return FeatureList(data=[service.to_out(f) for f in result.items], has_more=result.has_more)


@router.get("/{id}", response_model=FeatureOut, summary="Get a feature")
def get_feature(id: str, session: SessionDep, tenant: TenantDep) -> FeatureOut:
    return service.to_out(service.get(session, tenant, id))


@router.patch("/{id}", response_model=FeatureOut, summary="Rename or describe a feature")
def update_feature(
    id: str, body: FeatureUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> FeatureOut:
    return service.to_out(service.update(session, tenant, id, body, clock.now()))


@router.post("/{id}/archive", response_model=FeatureOut, summary="Archive a feature")
def archive_feature(id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep) -> FeatureOut:
    return service.to_out(service.archive(session, tenant, id, clock.now()))
