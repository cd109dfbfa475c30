from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import SessionDep, TenantDep
from recura.api.pagination import Instant, PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.cancellations import service
from recura.domains.cancellations.schemas import CancellationFeedbackOut, Outcome

router = APIRouter(
    prefix="/v1/cancellation_feedback",
    tags=["cancellation feedback"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
CancellationFeedbackList = list_schema(CancellationFeedbackOut)
Id = Annotated[str | None, Query(max_length=40)]


@router.get(
    "",
    response_model=CancellationFeedbackList,
    summary="List cancellation flows (reason, offer shown, outcome), newest first",
)
def list_feedback(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    subscription: Id = None,
    customer: Id = None,
    reason: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Outcome | None = None,
    offer_kind: Literal["coupon", "pause", "plan"] | None = None,
    canceled: bool | None = None,
    created_gte: Annotated[
        Instant | None, Query(description="Started at or after this instant.")
    ] = None,
    created_lt: Annotated[Instant | None, Query(description="Started before this instant.")] = None,
) -> BaseModel:
    found = service.page(
        session,
        tenant,
        limit=page.limit,
        starting_after=page.starting_after,
        subscription=subscription,
        customer=customer,
        reason=reason,
        outcome=outcome,
        offer_kind=offer_kind,
        canceled=canceled,
        created_gte=created_gte,
        created_lt=created_lt,
    )
    data = [service.feedback_out(row) for row in found.items]
    return CancellationFeedbackList(data=data, has_more=found.has_more)


@router.get("/{id}", response_model=CancellationFeedbackOut, summary="Get one cancellation flow")
def get_feedback(id: str, session: SessionDep, tenant: TenantDep) -> CancellationFeedbackOut:
    return service.feedback_out(service.get(session, tenant, id))
