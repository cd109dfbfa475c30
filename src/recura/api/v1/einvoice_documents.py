"""The e-invoice of an invoice or credit note: its state, findings and deadline, and the
UBL document itself. Made by the worker after finalisation: a 404 until it is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.db.models import EInvoice
from recura.domains.common.errors import NotFoundError
from recura.domains.efactura import service as efactura
from recura.domains.efactura.schemas import EInvoiceOut
from recura.domains.einvoices import service
from recura.domains.invoices import credit_notes
from recura.domains.invoices import service as invoices

router = APIRouter(
    tags=["invoices"], route_class=UnitOfWorkRoute, responses=problem_responses(401, 404)
)
XML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {}}, "description": "The UBL 2.1 document."}
}


def _xml(row: EInvoice) -> Response:
    if row.xml is None:
        raise NotFoundError("einvoice document", row.id)
    name = f"{row.id}.xml"
    return Response(
        row.xml,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "ETag": row.sha256 or ""},
    )


@router.get(
    "/v1/invoices/{id}/einvoice",
    response_model=EInvoiceOut,
    summary="Get an invoice's e-invoice: state, validation findings, upload deadline",
)
def get_invoice_einvoice(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> EInvoiceOut:
    invoices.get(session, tenant, id)
    return efactura.to_out(service.of_invoice(session, tenant, id), clock.now())


@router.get(
    "/v1/invoices/{id}/einvoice.xml",
    response_class=Response,
    responses=XML,
    summary="Download an invoice's e-invoice (UBL 2.1, CIUS-RO)",
)
def get_invoice_einvoice_xml(id: str, session: SessionDep, tenant: TenantDep) -> Response:
    invoices.get(session, tenant, id)
    return _xml(service.of_invoice(session, tenant, id))


@router.get(
    "/v1/credit_notes/{id}/einvoice",
    response_model=EInvoiceOut,
    summary="Get a credit note's e-invoice: state, validation findings, upload deadline",
)
def get_credit_note_einvoice(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> EInvoiceOut:
    credit_notes.get(session, tenant, id)
    return efactura.to_out(service.of_credit_note(session, tenant, id), clock.now())


@router.get(
    "/v1/credit_notes/{id}/einvoice.xml",
    response_class=Response,
    responses=XML,
    summary="Download a credit note's e-invoice (UBL 2.1, CIUS-RO)",
)
def get_credit_note_einvoice_xml(id: str, session: SessionDep, tenant: TenantDep) -> Response:
    credit_notes.get(session, tenant, id)
    return _xml(service.of_credit_note(session, tenant, id))
