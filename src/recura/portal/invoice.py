"""The page behind "view the invoice" in the receipt and invoice emails: the invoice as it
was issued, what is left to pay, and, while a transfer is awaited, how to pay it (with the
EPC QR code a banking app scans, for an amount in euro)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from recura.db.models import Invoice
from recura.domains.documents import parties
from recura.domains.invoices import repository as invoices
from recura.notifications import links
from recura.portal import access, invoice_view, link_visits, pages
from recura.portal.access import Visit

router = APIRouter()
PURPOSE: links.Purpose = "invoice"


def _load(session: Session, request: Request, token: str) -> tuple[Visit, Invoice] | None:
    secret, now = request.app.state.secret, request.app.state.clock.now()
    visit = access.open_link(session, secret, token, PURPOSE, now)
    if visit is None or visit.claims.object_id is None:
        return None
    invoice = invoices.find_by_key(session, visit.tenant.account_id, visit.claims.object_id)
    if invoice is None or invoice.livemode != visit.tenant.livemode:
        return None
    if invoice.customer_id != visit.customer.id or invoice.number is None:
        return None
    return visit, invoice


def _transfer(visit: Visit, invoice: Invoice) -> dict[str, Any] | None:
    return invoice_view.transfer(visit.account, invoice)


@router.get("/invoice/{token}")
def show(token: str, request: Request) -> Response:
    with pages.unit(request) as session:
        found = _load(session, request, token)
        if found is None:
            return pages.invalid(request)
        visit, invoice = found
        portal = link_visits.to_portal(session, request, visit, f"/portal/invoices/{invoice.id}")
        if portal is not None:
            return portal
        lines = invoices.lines_of_invoice(session, invoice)
        transfer = _transfer(visit, invoice)
        return pages.render(
            request,
            "invoice.html",
            visit,
            notice=None,
            outcomes=(),
            invoice=invoice,
            lines=lines,
            mentions=parties.mentions(lines, visit.locale),
            sign_in_url=link_visits.sign_in_url(visit),
            pdf_url=invoice_view.pdf_url(session, invoice, f"/portal/invoice/{token}/pdf"),
            **invoice_view.transfer_values(transfer, f"/portal/invoice/{token}/qr.png"),
        )


@router.get("/invoice/{token}/qr.png")
def qr(token: str, request: Request) -> Response:
    with pages.unit(request) as session:
        found = _load(session, request, token)
        transfer = _transfer(*found) if found else None
    return invoice_view.qr_response(transfer)


@router.get("/invoice/{token}/pdf")
def pdf(token: str, request: Request) -> Response:
    with pages.unit(request) as session:
        found = _load(session, request, token)
        if found is None:
            return pages.invalid(request)
        return invoice_view.pdf_response(session, found[1]) or pages.not_found(request)
