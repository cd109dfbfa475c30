from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.support_requests import service
from recura.domains.support_requests.categories import Status
from recura.domains.support_requests.schemas import (
    SupportReplyIn,
    SupportRequestOut,
    SupportRequestThreadOut,
)

router = APIRouter(
    prefix="/v1/support_requests",
    tags=["support"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
SupportRequestList = list_schema(SupportRequestOut)


@router.get(
    "",
    response_model=SupportRequestList,
    summary="List support requests, newest first",
    description="Subscribers open them from the portal. `status=open` is the inbox: the "
    "requests waiting for an answer.",
)
def list_support_requests(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    status: Status | None = None,
    customer: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    found = service.page(
        session,
        tenant,
        limit=page.limit,
        starting_after=page.starting_after,
        status=status,
        customer=customer,
    )
    return SupportRequestList(
        data=[service.request_out(r) for r in found.items], has_more=found.has_more
    )


@router.get(
    "/{id}", response_model=SupportRequestThreadOut, summary="Get a support request and its thread"
)
def get_support_request(id: str, session: SessionDep, tenant: TenantDep) -> SupportRequestThreadOut:
    return service.thread_out(service.thread(session, tenant, id))


@router.post(
    "/{id}/reply",
    response_model=SupportRequestThreadOut,
    responses=problem_responses(409),
    summary="Reply to a support request",
    description="The reply is emailed to the subscriber and shown in the portal; the request "
    "becomes `answered`, and the first reply sets `first_response_at`. A closed request "
    "takes no reply (409): the subscriber reopens it by replying. The same text sent twice "
    "in a row is recorded once.",
)
def reply_to_support_request(
    id: str, body: SupportReplyIn, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> SupportRequestThreadOut:
    return service.thread_out(service.merchant_reply(session, tenant, id, body.body, clock.now()))


@router.post(
    "/{id}/close",
    response_model=SupportRequestThreadOut,
    summary="Close a support request",
    description="Closing a closed request changes nothing. The subscriber can reopen it by "
    "replying from the portal.",
)
def close_support_request(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> SupportRequestThreadOut:
    return service.thread_out(service.merchant_close(session, tenant, id, clock.now()))
