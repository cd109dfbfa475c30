"""The audit log: every change made through the API (and later the console and portal),
who made it and what it changed, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import SessionDep, TenantDep
from recura.api.pagination import Instant, PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.audit import service
from recura.domains.audit.schemas import ActorKind, AuditEntryOut

router = APIRouter(
    prefix="/v1/audit_log",
    tags=["audit_log"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
AuditEntryList = list_schema(AuditEntryOut)


@router.get("", response_model=AuditEntryList, summary="List audit entries, newest first")
def list_audit_entries(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    actor_kind: ActorKind | None = None,
    actor_id: Annotated[str | None, Query(max_length=40)] = None,
    action: Annotated[
        str | None,
        Query(max_length=80, description="An action (`customer.update`) or `customer.*`."),
    ] = None,
    target_type: Annotated[str | None, Query(max_length=40)] = None,
    target_id: Annotated[str | None, Query(max_length=200)] = None,
    created_gte: Annotated[Instant | None, Query(description="At or after this instant.")] = None,
    created_lt: Annotated[Instant | None, Query(description="Before this instant.")] = None,
) -> BaseModel:
    found = service.page(
        session,
        tenant,
        page.limit,
        page.starting_after,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        created_gte=created_gte,
        created_lt=created_lt,
    )
    return AuditEntryList(data=[service.entry_out(e) for e in found.items], has_more=found.has_more)


@router.get("/{id}", response_model=AuditEntryOut, summary="Get an audit entry")
def get_audit_entry(id: str, session: SessionDep, tenant: TenantDep) -> AuditEntryOut:
    return service.entry_out(service.get(session, tenant, id))
