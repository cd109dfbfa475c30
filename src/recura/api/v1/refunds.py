from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.payments import refunds
from recura.domains.payments.schemas import RefundCreate, RefundOut

router = APIRouter(
    prefix="/v1/refunds",
    tags=["payments"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
RefundList = list_schema(RefundOut)


@router.post(
    "",
    status_code=201,
    response_model=RefundOut,
    summary="Refund a payment, in full or in part, with a credit note on its invoice",
    description="`succeeded` when the processor has sent the money back; `pending` when it "
    "has not answered yet; `failed` when it refused, the credit then going to the customer's "
    "balance.",
)
def create_refund(
    body: RefundCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> RefundOut:
    pending = refunds.start(session, tenant, body.payment, body.amount, body.reason, clock.now())
    # On record before the processor is asked: a repeat can only refund under the same key.
    session.commit()
    return RefundOut.of(refunds.finish(session, pending, refunds.send(pending)))


@router.get("", response_model=RefundList, summary="List refunds, newest first")
def list_refunds(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    payment: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    found = refunds.page(session, tenant, page.limit, page.starting_after, payment)
    return RefundList(data=[RefundOut.of(r) for r in found.items], has_more=found.has_more)


@router.get("/{id}", response_model=RefundOut, summary="Get a refund")
def get_refund(id: str, session: SessionDep, tenant: TenantDep) -> RefundOut:
    return RefundOut.of(refunds.get(session, tenant, id))
