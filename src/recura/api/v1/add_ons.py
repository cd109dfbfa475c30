from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.add_ons import service
from recura.domains.add_ons.schemas import AddOnCreate, AddOnOut, AddOnUpdate

router = APIRouter(
    prefix="/v1/add_ons",
    tags=["catalog"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
AddOnList = list_schema(AddOnOut)


def _one(session: SessionDep, tenant: TenantDep, add_on: object) -> AddOnOut:
    return service.to_out(session, tenant, [add_on])[0]  # type: ignore[list-item]


@router.post("", status_code=201, response_model=AddOnOut, summary="Create an add-on")
def create_add_on(
    body: AddOnCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> AddOnOut:
    return _one(session, tenant, service.create(session, tenant, body, clock.now()))


@router.get("", response_model=AddOnList, summary="List add-ons, newest first")
def list_add_ons(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> BaseModel:
    result = service.page(session, tenant, page.limit, page.starting_after, code)
    return AddOnList(data=service.to_out(session, tenant, result.items), has_more=result.has_more)


@router.get("/{id}", response_model=AddOnOut, summary="Get an add-on")
def get_add_on(id: str, session: SessionDep, tenant: TenantDep) -> AddOnOut:
    return _one(session, tenant, service.get(session, tenant, id))


@router.patch("/{id}", response_model=AddOnOut, summary="Change an add-on (not its prices)")
def update_add_on(
    id: str, body: AddOnUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> AddOnOut:
    return _one(session, tenant, service.update(session, tenant, id, body, clock.now()))


@router.post("/{id}/archive", response_model=AddOnOut, summary="Archive an add-on")
def archive_add_on(id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep) -> AddOnOut:
    return _one(session, tenant, service.archive(session, tenant, id, clock.now()))
