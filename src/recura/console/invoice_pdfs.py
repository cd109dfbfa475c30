"""An invoice's or credit note's PDF for an operator who reads invoices: the same bytes
the customer and the API get, once the worker has made them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from recura.console import auth, modes, pages
from recura.console.auth import Operator
from recura.domains.common.errors import ConflictError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.documents import service as documents
from recura.domains.documents.service import Pdf

router = APIRouter(prefix="/console")
READ = auth.require("invoices.read")


def _download(pdf: Pdf) -> Response:
    headers = {
        "Content-Disposition": f'attachment; filename="{pdf.filename}"',
        "Cache-Control": "no-store",
    }
    return Response(pdf.content, media_type="application/pdf", headers=headers)


def _serve(request: Request, operator: Operator, test: bool, kind: str, object_id: str) -> Response:
    tenant = Tenant(operator.account.id, livemode=not test)
    with pages.unit(request) as session:
        try:
            if kind == "invoice":
                pdf = documents.of_invoice(session, tenant, object_id[:40])
            else:
                pdf = documents.of_credit_note(session, tenant, object_id[:40])
        except NotFoundError:
            return auth.render(request, operator, "not_found.html", 404)
        except ConflictError:
            return auth.render(request, operator, "pdf_pending.html", 409)
    return _download(pdf)


@router.get("/invoices/{invoice_id}/pdf")
def invoice_pdf(
    invoice_id: str,
    request: Request,
    test: bool = Depends(modes.is_test),
    operator: Operator = Depends(READ),
) -> Response:
    return _serve(request, operator, test, "invoice", invoice_id)


@router.get("/credit_notes/{credit_note_id}/pdf")
def credit_note_pdf(
    credit_note_id: str,
    request: Request,
    test: bool = Depends(modes.is_test),
    operator: Operator = Depends(READ),
) -> Response:
    return _serve(request, operator, test, "credit_note", credit_note_id)
