from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from recura.api.deps import ClockDep, SessionDep, TenantDep, UnitsDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.db.models import Invoice
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import service, views
from recura.domains.invoices.schemas import InvoiceOut, InvoicePreviewOut
from recura.domains.payments import service as payment_service
from recura.domains.payments.schemas import PayRequest
from recura.domains.subscriptions import settlement, upcoming
from recura.domains.subscriptions.schemas import EmptyRequest

router = APIRouter(
    prefix="/v1/invoices",
    tags=["invoices"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
customer_router = APIRouter(
    prefix="/v1/customers",
    tags=["invoices"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
InvoiceList = list_schema(InvoiceOut)
Status = Literal["draft", "open", "paid", "void", "uncollectible"]


def _one(session: Session, tenant: Tenant, invoice: Invoice) -> InvoiceOut:
    return views.invoices_out(session, tenant, [invoice])[0]


@router.get("", response_model=InvoiceList, summary="List invoices, newest first")
def list_invoices(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    customer: Annotated[str | None, Query(max_length=40)] = None,
    subscription: Annotated[str | None, Query(max_length=40)] = None,
    status: Status | None = None,
) -> BaseModel:
    found = service.page(
        session,
        tenant,
        page.limit,
        page.starting_after,
        customer=customer,
        subscription=subscription,
        status=status,
    )
    return InvoiceList(
        data=views.invoices_out(session, tenant, found.items), has_more=found.has_more
    )


@router.get("/{id}", response_model=InvoiceOut, summary="Get an invoice with its lines")
def get_invoice(id: str, session: SessionDep, tenant: TenantDep) -> InvoiceOut:
    return _one(session, tenant, service.get(session, tenant, id))


@router.post("/{id}/void", response_model=InvoiceOut, summary="Void an open invoice")
def void_invoice(
    id: str, body: EmptyRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> InvoiceOut:
    return _one(session, tenant, service.void(session, tenant, id, clock.now()))


@router.post(
    "/{id}/mark_uncollectible",
    response_model=InvoiceOut,
    summary="Give up collecting an open invoice",
)
def mark_uncollectible(
    id: str, body: EmptyRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> InvoiceOut:
    return _one(session, tenant, service.mark_uncollectible(session, tenant, id, clock.now()))


@router.post(
    "/{id}/pay",
    response_model=InvoiceOut,
    summary="Charge an open invoice now, or record that it was paid outside Recura",
    description="Charges what is left to pay to the customer's default payment method and "
    "returns the invoice: `paid` if the charge succeeded, still `open` if it failed (the "
    "attempt is in `GET /v1/payments?invoice=…`). With `paid_out_of_band`, records a payment "
    "made elsewhere (cash, a transfer already seen). 409 while an earlier attempt's outcome "
    "is still unknown.",
)
def pay_invoice(
    id: str,
    body: PayRequest,
    session: SessionDep,
    units: UnitsDep,
    tenant: TenantDep,
    clock: ClockDep,
) -> InvoiceOut:
    if body.paid_out_of_band:
        return _one(session, tenant, settlement.paid_out_of_band(session, tenant, id, clock.now()))
    payment_service.pay(units, tenant, id, clock.now())
    return _one(session, tenant, service.get(session, tenant, id))


@customer_router.get(
    "/{id}/upcoming_invoice",
    response_model=InvoicePreviewOut,
    summary="The next renewal invoice as it stands now (usage so far), nothing saved",
)
def upcoming_invoice(
    id: str,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
    subscription: Annotated[str | None, Query(max_length=40)] = None,
) -> InvoicePreviewOut:
    draft = upcoming.invoice(session, tenant, id, subscription, clock.now())
    return views.preview_out(draft)
