from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.common.fields import example
from recura.domains.webhook_endpoints import service
from recura.domains.webhook_endpoints.schemas import (
    DeliveryOut,
    Replay,
    ReplayOut,
    RotateSecret,
    WebhookEndpointCreate,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

router = APIRouter(
    prefix="/v1/webhook_endpoints",
    tags=["webhooks"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
EndpointList = list_schema(WebhookEndpointOut)
DeliveryList = list_schema(DeliveryOut)


class DeletedEndpoint(BaseModel):
    model_config = example(
        {"object": "webhook_endpoint", "id": "we_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "deleted": True}
    )

    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    id: str
    deleted: Literal[True] = True


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhooks_allow_private)


@router.post(
    "",
    status_code=201,
    response_model=WebhookEndpointWithSecret,
    summary="Create a webhook endpoint",
    description="Events of this mode whose type matches `enabled_events` (`*`, `invoice.*`, "
    "`invoice.paid`) are POSTed to `url`, signed per Standard Webhooks with `secret`, which "
    "is shown only here and on rotation. Addresses on private or loopback networks are "
    "refused unless the server allows them.",
)
def create_endpoint(
    body: WebhookEndpointCreate,
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
) -> WebhookEndpointWithSecret:
    endpoint = service.create(session, tenant, body, clock.now(), _allow_private(request))
    return service.with_secret(endpoint)


@router.get("", response_model=EndpointList, summary="List webhook endpoints, newest first")
def list_endpoints(session: SessionDep, tenant: TenantDep, page: PageDep) -> BaseModel:
    found = service.page(session, tenant, page.limit, page.starting_after)
    return EndpointList(data=[service.to_out(e) for e in found.items], has_more=found.has_more)


@router.get("/{id}", response_model=WebhookEndpointOut, summary="Get a webhook endpoint")
def get_endpoint(id: str, session: SessionDep, tenant: TenantDep) -> WebhookEndpointOut:
    return service.to_out(service.get(session, tenant, id))


@router.patch(
    "/{id}",
    response_model=WebhookEndpointOut,
    summary="Change a webhook endpoint",
    description="`enabled: false` stops sending (deliveries wait); `enabled: true` resumes, "
    "also after the endpoint answered 410 Gone and was disabled.",
)
def update_endpoint(
    id: str,
    body: WebhookEndpointUpdate,
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
) -> WebhookEndpointOut:
    endpoint = service.update_endpoint(
        session, tenant, id, body, clock.now(), _allow_private(request)
    )
    return service.to_out(endpoint)


@router.delete(
    "/{id}",
    response_model=DeletedEndpoint,
    summary="Delete a webhook endpoint with its delivery log",
)
def delete_endpoint(id: str, session: SessionDep, tenant: TenantDep) -> BaseModel:
    return DeletedEndpoint(id=service.delete_endpoint(session, tenant, id).id)


@router.post(
    "/{id}/rotate_secret",
    response_model=WebhookEndpointWithSecret,
    summary="Replace the signing secret",
    description="Returns the new secret. For `expire_previous_in_hours` (default 24) "
    "messages carry a signature by each secret, so receivers can switch without a gap.",
)
def rotate_secret(
    id: str, body: RotateSecret, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> WebhookEndpointWithSecret:
    endpoint = service.rotate_secret(
        session, tenant, id, body.expire_previous_in_hours, clock.now()
    )
    return service.with_secret(endpoint)


@router.get(
    "/{id}/deliveries",
    response_model=DeliveryList,
    summary="The delivery log: each event owed to this endpoint, with its attempts",
)
def list_deliveries(
    id: str,
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    status: Literal["pending", "sending", "succeeded", "failed"] | None = None,
    event: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    found = service.deliveries(session, tenant, id, page.limit, page.starting_after, status, event)
    return DeliveryList(data=found.items, has_more=found.has_more)


@router.post(
    "/{id}/replay",
    response_model=ReplayOut,
    summary="Send an event again, or every delivery that failed since a time",
    description="Replays keep the event's `webhook-id`, so a receiver that deduplicates "
    "ignores what it already has. An event the endpoint never received (older than it, or "
    "outside its filter) is sent when named.",
)
def replay(
    id: str, body: Replay, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> ReplayOut:
    count = service.replay(session, tenant, id, body, clock.now())
    return ReplayOut(endpoint=id, replayed=count)
