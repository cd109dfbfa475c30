from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.customers import service as customers
from recura.domains.payments import methods
from recura.domains.payments.schemas import (
    AttachRequest,
    PaymentMethodOut,
    SetupOut,
    SetupRequest,
)
from recura.domains.subscriptions.schemas import EmptyRequest

router = APIRouter(
    prefix="/v1/payment_methods",
    tags=["payments"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
customer_router = APIRouter(
    prefix="/v1/customers",
    tags=["payments"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
MethodList = list_schema(PaymentMethodOut)


def _out(session: SessionDep, tenant: TenantDep, method_id: str) -> PaymentMethodOut:
    method = methods.get(session, tenant, method_id)
    customer = customers.get(session, tenant, method.customer_id)
    return PaymentMethodOut.of(method, customer.default_payment_method_id)


@customer_router.post(
    "/{id}/payment_method_setups",
    response_model=SetupOut,
    summary="Start saving a payment method through the processor's hosted flow",
    description="Returns what the subscriber's browser needs to finish with the processor "
    "(Stripe: a SetupIntent's client secret; PayPal: an approval link; sandbox: test tokens). "
    "Card numbers go to the processor, never to Recura.",
)
def start_setup(id: str, body: SetupRequest, session: SessionDep, tenant: TenantDep) -> SetupOut:
    name, setup = methods.start_setup(session, tenant, id, body.gateway, body.return_url)
    return SetupOut.of(name, setup)


@customer_router.post(
    "/{id}/payment_methods",
    status_code=201,
    response_model=PaymentMethodOut,
    summary="Save a payment method from the processor's token",
    description="The customer's first method becomes its default unless `default` is false. "
    "A new default is tried at once on invoices whose payment failed.",
)
def attach(
    id: str, body: AttachRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PaymentMethodOut:
    method = methods.attach(
        session, tenant, id, body.gateway, body.token, body.default, clock.now()
    )
    return _out(session, tenant, method.id)


@customer_router.get(
    "/{id}/payment_methods",
    response_model=MethodList,
    summary="The customer's payment methods, newest first (detached ones left out)",
)
def list_methods(id: str, session: SessionDep, tenant: TenantDep, page: PageDep) -> BaseModel:
    customer = customers.get(session, tenant, id)
    found = methods.page(session, tenant, page.limit, page.starting_after, id, active_only=True)
    data = [PaymentMethodOut.of(m, customer.default_payment_method_id) for m in found.items]
    return MethodList(data=data, has_more=found.has_more)


@router.get("", response_model=MethodList, summary="List payment methods, newest first")
def list_all(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    customer: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    found = methods.page(session, tenant, page.limit, page.starting_after, customer)
    defaults = methods.defaults_of(session, tenant, {m.customer_id for m in found.items})
    data = [PaymentMethodOut.of(m, defaults.get(m.customer_id)) for m in found.items]
    return MethodList(data=data, has_more=found.has_more)


@router.get("/{id}", response_model=PaymentMethodOut, summary="Get a payment method")
def get_method(id: str, session: SessionDep, tenant: TenantDep) -> PaymentMethodOut:
    return _out(session, tenant, id)


@router.post(
    "/{id}/set_default",
    response_model=PaymentMethodOut,
    summary="Make it the customer's default: invoices are charged to it",
)
def set_default(
    id: str, body: EmptyRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PaymentMethodOut:
    methods.set_default(session, tenant, id, clock.now())
    return _out(session, tenant, id)


@router.post(
    "/{id}/detach",
    response_model=PaymentMethodOut,
    summary="Remove it, at the processor too; it is no longer charged",
)
def detach(
    id: str, body: EmptyRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PaymentMethodOut:
    methods.detach(session, tenant, id, clock.now())
    return _out(session, tenant, id)
