from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.payments import service
from recura.domains.payments.schemas import PaymentOut

router = APIRouter(
    prefix="/v1/payments",
    tags=["payments"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
PaymentList = list_schema(PaymentOut)


@router.get("", response_model=PaymentList, summary="List payment attempts, newest first")
def list_payments(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    invoice: Annotated[str | None, Query(max_length=40)] = None,
    customer: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    found = service.page(
        session, tenant, page.limit, page.starting_after, invoice=invoice, customer=customer
    )
    return PaymentList(data=[PaymentOut.of(p) for p in found.items], has_more=found.has_more)


@router.get("/{id}", response_model=PaymentOut, summary="Get a payment attempt")
def get_payment(id: str, session: SessionDep, tenant: TenantDep) -> PaymentOut:
    return PaymentOut.of(service.get(session, tenant, id))
