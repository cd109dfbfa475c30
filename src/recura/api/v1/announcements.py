"""Announcements: news for subscribers, shown in the portal and optionally emailed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.announcements import service
from recura.domains.announcements.schemas import (
    AnnouncementCreate,
    AnnouncementOut,
    AnnouncementUpdate,
)

router = APIRouter(
    prefix="/v1/announcements",
    tags=["announcements"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
AnnouncementList = list_schema(AnnouncementOut)
Id = Annotated[str, Path(max_length=40)]


@router.post("", status_code=201, response_model=AnnouncementOut, summary="Draft an announcement")
def create_announcement(
    body: AnnouncementCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> AnnouncementOut:
    now = clock.now()
    return service.to_out(service.create(session, tenant, body, now), now)


@router.get("", response_model=AnnouncementList, summary="List announcements, newest first")
def list_announcements(
    session: SessionDep, tenant: TenantDep, page: PageDep, clock: ClockDep
) -> BaseModel:
    found = service.page(session, tenant, page.limit, page.starting_after)
    now = clock.now()
    return AnnouncementList(
        data=[service.to_out(a, now) for a in found.items], has_more=found.has_more
    )


@router.get("/{id}", response_model=AnnouncementOut, summary="Get an announcement")
def get_announcement(
    id: Id, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> AnnouncementOut:
    return service.to_out(service.get(session, tenant, id), clock.now())


@router.patch("/{id}", response_model=AnnouncementOut, summary="Change an announcement")
def update_announcement(
    id: Id, body: AnnouncementUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> AnnouncementOut:
    now = clock.now()
    return service.to_out(service.update(session, tenant, id, body, now), now)


@router.post(
    "/{id}/publish",
    response_model=AnnouncementOut,
    summary="Publish an announcement",
    description="Shown at once to the customers it targets; with `email`, each of them who "
    "did not opt out of marketing is emailed once. Published already: unchanged.",
)
def publish_announcement(
    id: Id, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> AnnouncementOut:
    now = clock.now()
    return service.to_out(service.publish(session, tenant, id, now), now)


@router.post("/{id}/archive", response_model=AnnouncementOut, summary="Withdraw an announcement")
def archive_announcement(
    id: Id, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> AnnouncementOut:
    now = clock.now()
    return service.to_out(service.archive(session, tenant, id, now), now)
