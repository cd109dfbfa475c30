from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.coupons import service
from recura.domains.coupons.schemas import (
    PromotionCodeCreate,
    PromotionCodeOut,
    PromotionCodeUpdate,
)

router = APIRouter(
    prefix="/v1/promotion_codes",
    tags=["promotion codes"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
PromotionCodeList = list_schema(PromotionCodeOut)


@router.post(
    "", status_code=201, response_model=PromotionCodeOut, summary="Create a promotion code"
)
def create_promotion_code(
    body: PromotionCodeCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PromotionCodeOut:
    return service.promotion_out(service.create_promotion(session, tenant, body, clock.now()))


@router.get("", response_model=PromotionCodeList, summary="List promotion codes, newest first")
def list_promotion_codes(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    code: Annotated[
        str | None, Query(max_length=40, description="Case-insensitive exact match.")
    ] = None,
    coupon: Annotated[str | None, Query(max_length=40, description="A coupon id.")] = None,
    active: bool | None = None,
) -> BaseModel:
    result = service.promotion_page(
        session,
        tenant,
        limit=page.limit,
        starting_after=page.starting_after,
        code=code,
        coupon=coupon,
        active=active,
    )
    return PromotionCodeList(
        data=[service.promotion_out(p) for p in result.items], has_more=result.has_more
    )


@router.get("/{id}", response_model=PromotionCodeOut, summary="Get a promotion code")
def get_promotion_code(id: str, session: SessionDep, tenant: TenantDep) -> PromotionCodeOut:
    return service.promotion_out(service.get_promotion(session, tenant, id))


@router.patch(
    "/{id}",
    response_model=PromotionCodeOut,
    summary="Change or deactivate a promotion code (codes are never deleted)",
)
def update_promotion_code(
    id: str, body: PromotionCodeUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PromotionCodeOut:
    return service.promotion_out(service.update_promotion(session, tenant, id, body, clock.now()))
