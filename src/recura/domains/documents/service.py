"""Reading an issued document's PDF, for the API, the portal and the console: the same
bytes every time, once the worker has made them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from recura.db.models import InvoicePdf
from recura.domains.accounts import repository as accounts
from recura.domains.common.errors import ConflictError
from recura.domains.common.tenant import Tenant
from recura.domains.documents import repository
from recura.domains.invoices import credit_notes
from recura.domains.invoices import service as invoices


@dataclass(frozen=True, slots=True)
class Pdf:
    filename: str
    content: bytes
    sha256: str


class NotMadeYet(ConflictError):
    """The document is issued, but its PDF is still to be made by the worker."""


def _ready(
    session: Session, tenant: Tenant, found: InvoicePdf | None, name: str, number: str
) -> Pdf:
    if found is None and not accounts.account_by_key(session, tenant.account_id).invoice_pdfs:
        raise ConflictError(
            f"{name.capitalize()} {number} has no PDF: the account's invoice PDFs are off "
            "(`invoice_pdfs`), its invoices being issued by another system."
        )
    if found is None or found.content is None or found.sha256 is None:
        raise NotMadeYet(
            f"The PDF of {name} {number} is not made yet: the worker makes it shortly after "
            "the document is issued; try again in a minute."
        )
    return Pdf(filename(number), found.content, found.sha256)


def filename(number: str) -> str:
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in number)
    return f"{safe}.pdf"


def of_invoice(session: Session, tenant: Tenant, invoice_id: str) -> Pdf:
    """The PDF of the tenant's invoice: NotFoundError for another's (or a draft, which
    has none), NotMadeYet while the worker has still to make it."""
    invoice = invoices.get(session, tenant, invoice_id)
    if invoice.number is None:
        raise ConflictError(f"Invoice {invoice_id} is a draft: it has no PDF until finalised.")
    found = repository.of_document(session, tenant, invoice.id)
    return _ready(session, tenant, found, "invoice", invoice.number)


def of_credit_note(session: Session, tenant: Tenant, credit_note_id: str) -> Pdf:
    note = credit_notes.get(session, tenant, credit_note_id)
    found = repository.of_document(session, tenant, None, note.id)
    return _ready(session, tenant, found, "credit note", note.number)


def invoice_pdf_made(session: Session, tenant: Tenant, invoice_id: str) -> bool:
    """Whether the invoice's PDF can be downloaded (pages link to it only then)."""
    found = repository.of_document(session, tenant, invoice_id)
    return found is not None and found.content is not None
