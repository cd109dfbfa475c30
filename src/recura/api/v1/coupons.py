from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.coupons import service
from recura.domains.coupons.schemas import CouponCreate, CouponOut, CouponUpdate

router = APIRouter(
    prefix="/v1/coupons",
    tags=["coupons"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
CouponList = list_schema(CouponOut)


@router.post("", status_code=201, response_model=CouponOut, summary="Create a coupon")
def create_coupon(
    body: CouponCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CouponOut:
    return service.coupon_out(service.create_coupon(session, tenant, body, clock.now()))


@router.get("", response_model=CouponList, summary="List coupons, newest first")
def list_coupons(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    code: Annotated[str | None, Query(max_length=64)] = None,
    archived: bool | None = None,
) -> BaseModel:
    result = service.coupon_page(
        session,
        tenant,
        limit=page.limit,
        starting_after=page.starting_after,
        code=code,
        archived=archived,
    )
    return CouponList(data=[service.coupon_out(c) for c in result.items], has_more=result.has_more)


@router.get("/{id}", response_model=CouponOut, summary="Get a coupon")
def get_coupon(id: str, session: SessionDep, tenant: TenantDep) -> CouponOut:
    return service.coupon_out(service.get_coupon(session, tenant, id))


@router.patch(
    "/{id}",
    response_model=CouponOut,
    summary="Change a coupon's name, metadata or limits (its terms are fixed)",
)
def update_coupon(
    id: str, body: CouponUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CouponOut:
    return service.coupon_out(service.update_coupon(session, tenant, id, body, clock.now()))


@router.post("/{id}/archive", response_model=CouponOut, summary="Archive a coupon")
def archive_coupon(id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep) -> CouponOut:
    return service.coupon_out(service.archive_coupon(session, tenant, id, clock.now()))
