"""Domain events: written in the transaction that causes them, listed by GET /v1/events,
and dispatched (webhooks, emails) from the same table after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.db import bulk
from recura.db.models import Event
from recura.domains.common import actor, lookup
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.events import repository
from recura.domains.events.payloads import EventPayload, EventType
from recura.ids import new_id, new_ids


def row(
    tenant: Tenant,
    payload: EventPayload,
    at: datetime,
    *,
    mrr_delta: int = 0,
    mrr_currency: str | None = None,
) -> dict[str, Any]:
    """An event as a row, without its id: `record` and `record_many` give it one."""
    return json_row(
        tenant,
        payload.type,
        payload.json_data(),
        at,
        mrr_delta=mrr_delta,
        mrr_currency=mrr_currency,
    )


def json_row(
    tenant: Tenant,
    type_: EventType,
    data: dict[str, Any],
    at: datetime,
    *,
    mrr_delta: int = 0,
    mrr_currency: str | None = None,
) -> dict[str, Any]:
    """`row` of a payload already made JSON (`EventPayload.json_data`): a batch whose
    events differ only in their ids dumps their model once. The event's actor is who the
    running request or job acts for (the system when nobody set one)."""
    by = actor.current()
    return {
        **tenant.row_keys(),
        "type": type_.value,
        "object_id": data["id"],
        "data": data,
        "mrr_delta": mrr_delta,
        "mrr_currency": mrr_currency,
        "occurred_at": at,
        "created_at": at,
        "dispatched_at": None,
        "actor_kind": by.kind,
        "actor_id": by.id,
        "actor_label": by.label,
    }


def record(
    session: Session,
    tenant: Tenant,
    payload: EventPayload,
    at: datetime,
    *,
    mrr_delta: int = 0,
    mrr_currency: str | None = None,
) -> Event:
    """Record `payload`'s event: its type is its model's, its object its `id`."""
    event = Event(
        id=new_id("event"),
        **row(tenant, payload, at, mrr_delta=mrr_delta, mrr_currency=mrr_currency),
    )
    session.add(event)
    return event


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    for item, event_id in zip(rows, new_ids("event", len(rows)), strict=True):
        item["id"] = event_id
    bulk.insert_rows(session, Event, rows)


def get(session: Session, tenant: Tenant, event_id: str) -> Event:
    return lookup.require(session, tenant, Event, event_id, "event")


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    type_: str | None = None,
    object_id: str | None = None,
) -> Page[Event]:
    return repository.page(session, tenant, limit, starting_after, type_, object_id)
