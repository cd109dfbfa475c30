from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.common.fields import example
from recura.domains.payments import connections
from recura.domains.payments.schemas import GatewayConnectionIn, GatewayConnectionOut, GatewayName

router = APIRouter(
    prefix="/v1/gateway_connections",
    tags=["payments"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
ConnectionList = list_schema(GatewayConnectionOut)


class DeletedConnection(BaseModel):
    model_config = example(
        {
            "object": "gateway_connection",
            "id": "gwc_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "gateway": "paypal",
            "deleted": True,
        }
    )

    object: Literal["gateway_connection"] = "gateway_connection"
    id: str
    gateway: str
    deleted: Literal[True] = True


@router.post(
    "",
    response_model=GatewayConnectionOut,
    summary="Connect a payment processor for this mode (test or live), or replace its settings",
    description="One connection per processor and mode; saving again keeps its id and its "
    "`webhook_path`, the address (below this server's) to give the processor for its "
    "webhooks. Secrets are never shown again, only their first and last characters.",
)
def save_connection(
    body: GatewayConnectionIn, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> GatewayConnectionOut:
    return GatewayConnectionOut.of(connections.save(session, tenant, body.root, clock.now()))


@router.get("", response_model=ConnectionList, summary="List this mode's processor connections")
def list_connections(session: SessionDep, tenant: TenantDep) -> BaseModel:
    found = connections.listed(session, tenant)
    return ConnectionList(data=[GatewayConnectionOut.of(c) for c in found], has_more=False)


@router.get("/{gateway}", response_model=GatewayConnectionOut, summary="Get a processor connection")
def get_connection(
    gateway: GatewayName, session: SessionDep, tenant: TenantDep
) -> GatewayConnectionOut:
    return GatewayConnectionOut.of(connections.get(session, tenant, gateway))


@router.delete(
    "/{gateway}",
    response_model=DeletedConnection,
    summary="Disconnect a processor",
    description="Its payment methods stay on record; charges on them fail (and dunning runs) "
    "until the processor is connected again.",
)
def delete_connection(gateway: GatewayName, session: SessionDep, tenant: TenantDep) -> BaseModel:
    gone = connections.delete(session, tenant, gateway)
    return DeletedConnection(id=gone.id, gateway=gone.gateway)
