from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.customers import service
from recura.domains.customers.schemas import CustomerCreate, CustomerOut, CustomerUpdate

router = APIRouter(
    prefix="/v1/customers",
    tags=["customers"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
CustomerList = list_schema(CustomerOut)


@router.post("", status_code=201, response_model=CustomerOut, summary="Create a customer")
def create_customer(
    body: CustomerCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CustomerOut:
    return service.to_out(service.create(session, tenant, body, clock.now()))


@router.get("", response_model=CustomerList, summary="List customers, newest first")
def list_customers(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    email: Annotated[str | None, Query(max_length=320)] = None,
    external_id: Annotated[str | None, Query(max_length=255)] = None,
    archived: bool | None = None,
) -> BaseModel:
    result = service.page(
        session,
        tenant,
        limit=page.limit,
        starting_after=page.starting_after,
        email=email,
        external_id=external_id,
        archived=archived,
    )
    return CustomerList(data=[service.to_out(c) for c in result.items], has_more=result.has_more)


@router.get("/{id}", response_model=CustomerOut, summary="Get a customer")
def get_customer(id: str, session: SessionDep, tenant: TenantDep) -> CustomerOut:
    return service.to_out(service.get(session, tenant, id))


@router.patch("/{id}", response_model=CustomerOut, summary="Change a customer")
def update_customer(
    id: str, body: CustomerUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CustomerOut:
    return service.to_out(service.update(session, tenant, id, body, clock.now()))


@router.post("/{id}/archive", response_model=CustomerOut, summary="Archive a customer")
def archive_customer(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CustomerOut:
    return service.to_out(service.archive(session, tenant, id, clock.now()))
