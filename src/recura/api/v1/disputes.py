from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.payments import disputes
from recura.domains.payments.schemas import DisputeOut

router = APIRouter(
    prefix="/v1/disputes",
    tags=["payments"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
DisputeList = list_schema(DisputeOut)


@router.get(
    "",
    response_model=DisputeList,
    summary="List disputes (chargebacks), newest first",
    description="Recorded from the processors' webhooks, stage by stage: `needs_response`, "
    "`under_review`, then `won` or `lost`.",
)
def list_disputes(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    payment: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    found = disputes.page(session, tenant, page.limit, page.starting_after, payment)
    return DisputeList(data=[DisputeOut.of(d) for d in found.items], has_more=found.has_more)


@router.get("/{id}", response_model=DisputeOut, summary="Get a dispute")
def get_dispute(id: str, session: SessionDep, tenant: TenantDep) -> DisputeOut:
    return DisputeOut.of(disputes.get(session, tenant, id))
