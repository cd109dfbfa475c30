"""E-invoices and their way through ANAF's e-Factura; the correction of a rejected one;
the account's ANAF connection as it stands (its refresh token's end, warned of ahead)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.common.errors import ConflictError
from recura.domains.efactura import connections, correction, service
from recura.domains.efactura.schemas import AnafConnectionOut, CorrectionOut, EInvoiceOut

router = APIRouter(
    prefix="/v1/einvoices",
    tags=["invoices"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
connection_router = APIRouter(
    prefix="/v1/anaf_connection",
    tags=["account"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401),
)
EInvoiceList = list_schema(EInvoiceOut)
StateFilter = Literal["invalid", "pending", "uploaded", "accepted", "rejected"]


@router.get("", response_model=EInvoiceList, summary="List e-invoices, newest first")
def list_einvoices(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    clock: ClockDep,
    state: Annotated[StateFilter | None, Query()] = None,
    at_risk: Annotated[
        bool,
        Query(
            description="Only those not accepted whose deadline is within 2 working days or past."
        ),
    ] = False,
) -> BaseModel:
    now = clock.now()
    found = service.page(session, tenant, page.limit, page.starting_after, state, at_risk, now)
    return EInvoiceList(
        data=[service.to_out(row, now) for row in found.items], has_more=found.has_more
    )


@router.get("/{id}", response_model=EInvoiceOut, summary="Get an e-invoice")
def get_einvoice(id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep) -> EInvoiceOut:
    return service.to_out(service.get(session, tenant, id), clock.now())


@router.get(
    "/{id}/answer",
    summary="ANAF's signed answer (a ZIP), archived",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def get_answer(id: str, session: SessionDep, tenant: TenantDep) -> Response:
    row = service.get(session, tenant, id)
    if row.answer is None:
        raise ConflictError(f"E-invoice '{id}' has no answer from ANAF yet: it is {row.state}.")
    name = f"{row.upload_index or row.id}.zip"
    return Response(
        row.answer,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/{id}/correct",
    response_model=CorrectionOut,
    summary="Correct a rejected invoice: credit it in full and issue it again",
)
def correct_einvoice(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CorrectionOut:
    now = clock.now()
    done = correction.correct(session, tenant, id, now)
    return CorrectionOut(
        einvoice=service.to_out(done.einvoice, now),
        credit_note=done.credit_note_id,
        invoice=done.invoice_id,
    )


@connection_router.get(
    "", response_model=AnafConnectionOut, summary="The ANAF e-Factura connection of this mode"
)
def get_connection(session: SessionDep, tenant: TenantDep, clock: ClockDep) -> AnafConnectionOut:
    return connections.to_out(connections.get(session, tenant), clock.now())
