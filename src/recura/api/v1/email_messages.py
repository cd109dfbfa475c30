"""The emails events called for: what was sent, what waits, and why any was not sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.email_messages import service
from recura.domains.email_messages.schemas import EmailMessageOut, EmailStatus
from recura.notifications.rendering import TemplateName

router = APIRouter(
    prefix="/v1/email_messages",
    tags=["emails"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
EmailMessageList = list_schema(EmailMessageOut)


@router.get(
    "",
    response_model=EmailMessageList,
    summary="List emails, newest first",
    description="`skipped` emails say why in `last_error`: the customer has no address or "
    "unsubscribed, or the email could not be sent while it was timely.",
)
def list_email_messages(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    customer: Annotated[str | None, Query(max_length=40)] = None,
    status: EmailStatus | None = None,
    template: TemplateName | None = None,
    event: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    filters = {"customer": customer, "status": status, "template": template, "event": event}
    found = service.page(session, tenant, page.limit, page.starting_after, filters)
    return EmailMessageList(data=[service.to_out(r) for r in found.items], has_more=found.has_more)


@router.get("/{id}", response_model=EmailMessageOut, summary="Get an email")
def get_email_message(id: str, session: SessionDep, tenant: TenantDep) -> EmailMessageOut:
    return service.to_out(service.get(session, tenant, id))
