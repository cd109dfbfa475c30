from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.products import service
from recura.domains.products.schemas import ProductCreate, ProductOut, ProductUpdate

router = APIRouter(
    prefix="/v1/products",
    tags=["catalog"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
ProductList = list_schema(ProductOut)


@router.post("", status_code=201, response_model=ProductOut, summary="Create a product")
def create_product(
    body: ProductCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> ProductOut:
    return service.to_out(service.create(session, tenant, body, clock.now()))


@router.get("", response_model=ProductList, summary="List products, newest first")
def list_products(session: SessionDep, tenant: TenantDep, page: PageDep) -> BaseModel:
    result = service.page(session, tenant, page.limit, page.starting_after)
    return ProductList(data=[service.to_out(p) for p in result.items], has_more=result.has_more)


@router.get("/{id}", response_model=ProductOut, summary="Get a product")
def get_product(id: str, session: SessionDep, tenant: TenantDep) -> ProductOut:
    return service.to_out(service.get(session, tenant, id))


@router.patch("/{id}", response_model=ProductOut, summary="Change a product")
def update_product(
    id: str, body: ProductUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> ProductOut:
    return service.to_out(service.update(session, tenant, id, body, clock.now()))


@router.post("/{id}/archive", response_model=ProductOut, summary="Archive a product")
def archive_product(id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep) -> ProductOut:
    return service.to_out(service.archive(session, tenant, id, clock.now()))
