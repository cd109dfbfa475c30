"""What an invoice page shows besides the invoice itself, shared by the emailed link's page
and the signed-in portal's: while a bank transfer is awaited, what the transfer must say
(from the one place that reads the merchant's bank details) and its EPC QR code; the
invoice's PDF, once the worker has made it."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from sqlalchemy.orm import Session

from recura.db.models import Account, Invoice
from recura.domains.accounts.payee import payee_for
from recura.domains.common.errors import DomainError
from recura.domains.common.tenant import Tenant
from recura.domains.documents import service as documents
from recura.gateways.bank_transfer import references
from recura.notifications import epc_qr, rendering
from recura.web.pages import PRIVATE


def transfer(account: Account, invoice: Invoice) -> dict[str, Any] | None:
    """What a transfer paying the invoice must say, while one is awaited."""
    if invoice.status != "open" or invoice.payment_reference is None:
        return None
    payee = payee_for(account, invoice.currency)
    return {
        "currency": invoice.currency,
        "amount": invoice.amount_due - invoice.amount_paid,
        "beneficiary": payee.beneficiary,
        "iban": payee.iban,
        "bic": payee.bic,
        "reference": invoice.payment_reference,
    }


def transfer_values(found: dict[str, Any] | None, qr_url: str) -> dict[str, Any]:
    """The template values of `_transfer.html`: the IBAN in blocks, the reference as banks
    print it, and the QR code's address when the transfer can have one (euro)."""
    return {
        "transfer": found,
        "iban": rendering.blocks(found["iban"] or "") if found else "",
        "reference": references.display(found["reference"]) if found else "",
        "qr_url": qr_url if found and epc_qr.payload(found) else None,
    }


def qr_response(found: dict[str, Any] | None) -> Response:
    """The EPC QR code of the awaited transfer as a PNG, or 404."""
    text = epc_qr.payload(found) if found else None
    if text is None:
        return Response(status_code=404, headers=PRIVATE)
    return Response(epc_qr.png(text), media_type="image/png", headers=PRIVATE)


def pdf_url(session: Session, invoice: Invoice, url: str) -> str | None:
    """`url`, the page's link to the invoice's PDF, once there is one to download."""
    tenant = Tenant(invoice.account_id, invoice.livemode)
    return url if documents.invoice_pdf_made(session, tenant, invoice.id) else None


def pdf_response(session: Session, invoice: Invoice) -> Response | None:
    """The invoice's PDF as a download, or None while it is not made."""
    tenant = Tenant(invoice.account_id, invoice.livemode)
    try:
        pdf = documents.of_invoice(session, tenant, invoice.id)
    except DomainError:
        return None
    headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="{pdf.filename}"'}
    return Response(pdf.content, media_type="application/pdf", headers=headers)
