from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from recura.api.deps import SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.db.models import Event
from recura.domains.audit.schemas import ActorOut
from recura.domains.common.fields import MoneyOut, example, money_out
from recura.domains.events import service

router = APIRouter(
    prefix="/v1/events",
    tags=["events"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)


class EventOut(BaseModel):
    model_config = example(
        {
            "object": "event",
            "id": "evt_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "type": "subscription.renewed",
            "object_id": "sub_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "data": {"id": "sub_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "status": "active"},
            "mrr_change": {"amount": 0, "currency": "RON"},
            "occurred_at": "2026-02-01T00:00:03Z",
            "actor": {"kind": "system", "id": None, "label": "system"},
            "livemode": False,
        }
    )

    object: Literal["event"] = "event"
    id: str
    type: str
    object_id: str
    data: dict[str, Any]
    mrr_change: MoneyOut | None
    occurred_at: datetime
    actor: ActorOut = Field(description="Who caused it: an API key, a user, the system.")
    livemode: bool


EventList = list_schema(EventOut)


def _out(event: Event) -> EventOut:
    return EventOut(
        id=event.id,
        type=event.type,
        object_id=event.object_id,
        data=event.data,
        mrr_change=None
        if event.mrr_currency is None
        else money_out(event.mrr_delta, event.mrr_currency),
        occurred_at=event.occurred_at,
        actor=ActorOut(
            kind=event.actor_kind,
            id=event.actor_id,
            label=event.actor_label,
        ),
        livemode=event.livemode,
    )


@router.get("", response_model=EventList, summary="List events, newest first")
def list_events(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    type: Annotated[
        str | None,
        Query(max_length=64, description="An event type, or a family such as `invoice.*`."),
    ] = None,
    object_id: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    found = service.page(session, tenant, page.limit, page.starting_after, type, object_id)
    return EventList(data=[_out(e) for e in found.items], has_more=found.has_more)


@router.get("/{id}", response_model=EventOut, summary="Get an event")
def get_event(id: str, session: SessionDep, tenant: TenantDep) -> EventOut:
    return _out(service.get(session, tenant, id))
