"""The PDF of an issued invoice or credit note, as the worker made it once: 409 while it
is still to be made."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from recura.api.deps import SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.documents import service
from recura.domains.documents.service import Pdf

router = APIRouter(
    tags=["invoices"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409),
)
Id = Annotated[str, Path(max_length=40)]
_PDF = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


def _response(pdf: Pdf) -> Response:
    headers = {
        "Content-Disposition": f'attachment; filename="{pdf.filename}"',
        "ETag": f'"{pdf.sha256}"',
        "Cache-Control": "private, max-age=0",
    }
    return Response(pdf.content, media_type="application/pdf", headers=headers)


@router.get(
    "/v1/invoices/{id}/pdf",
    summary="The invoice's PDF (409 until the worker has made it)",
    response_class=Response,
    responses=_PDF,  # type: ignore[arg-type]
)
def invoice_pdf(id: Id, session: SessionDep, tenant: TenantDep) -> Response:
    return _response(service.of_invoice(session, tenant, id))


@router.get(
    "/v1/credit_notes/{id}/pdf",
    summary="The credit note's PDF (409 until the worker has made it)",
    response_class=Response,
    responses=_PDF,  # type: ignore[arg-type]
)
def credit_note_pdf(id: Id, session: SessionDep, tenant: TenantDep) -> Response:
    return _response(service.of_credit_note(session, tenant, id))
