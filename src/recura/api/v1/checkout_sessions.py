from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.checkout import service
from recura.domains.checkout.schemas import (
    CheckoutResultOut,
    CheckoutSessionCreate,
    CheckoutSessionDetailOut,
    CheckoutSessionOut,
)
from recura.domains.customers import service as customers
from recura.domains.entitlements import service as entitlements
from recura.domains.subscriptions import service as subscriptions

router = APIRouter(
    prefix="/v1/checkout_sessions",
    tags=["checkout sessions"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
CheckoutSessionList = list_schema(CheckoutSessionOut)
Status = Literal["open", "complete", "expired"]


def _public_url(request: Request) -> str:
    return str(request.app.state.settings.public_url)


@router.post(
    "",
    status_code=201,
    response_model=CheckoutSessionOut,
    summary="Open a hosted checkout for a plan; send the subscriber to its `url`",
)
def create_checkout_session(
    body: CheckoutSessionCreate,
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
) -> CheckoutSessionOut:
    now = clock.now()
    checkout = service.create(session, tenant, body, now)
    return service.to_out(checkout, _public_url(request), now)


@router.get(
    "",
    response_model=CheckoutSessionList,
    summary="List checkout sessions, newest first, each with the stage it reached",
    description="`abandoned=true`: expired, or open for over an hour without completing.",
)
def list_checkout_sessions(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
    page: PageDep,
    status: Status | None = None,
    abandoned: bool | None = None,
) -> BaseModel:
    now = clock.now()
    found = service.page(
        session, tenant, page.limit, page.starting_after, now, status=status, abandoned=abandoned
    )
    public_url = _public_url(request)
    data = [service.to_out(c, public_url, now) for c in found.items]
    return CheckoutSessionList(data=data, has_more=found.has_more)


@router.get(
    "/{id}",
    response_model=CheckoutSessionDetailOut,
    summary="Get a checkout session; once complete, with its customer, subscription and "
    "entitlements",
)
def get_checkout_session(
    id: str, request: Request, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CheckoutSessionDetailOut:
    now = clock.now()
    checkout = service.get(session, tenant, id)
    result = None
    if checkout.status == "complete" and checkout.subscription_id and checkout.customer_id:
        customer = customers.get(session, tenant, checkout.customer_id)
        sub = subscriptions.get(session, tenant, checkout.subscription_id)
        result = CheckoutResultOut(
            customer=customers.to_out(customer),
            subscription=subscriptions.subscriptions_out(session, tenant, [sub])[0],
            entitlements=entitlements.for_customer(session, tenant, customer.id, now),
        )
    fields = service.out_fields(checkout, _public_url(request), now)
    return CheckoutSessionDetailOut(**fields, result=result)


@router.post(
    "/{id}/expire",
    response_model=CheckoutSessionOut,
    summary="Expire an open checkout session now (an expired one is left as it is)",
)
def expire_checkout_session(
    id: str,
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
) -> CheckoutSessionOut:
    now = clock.now()
    checkout = service.expire(session, tenant, id, now)
    return service.to_out(checkout, _public_url(request), now)
