"""Correcting an invoice whose e-invoice ANAF rejected, the legal way: an issued invoice
is never changed, so it is credited in full by a credit note and a new invoice with the
same lines is issued in its place (its own number, its own e-invoice).

Nothing is charged twice, nothing is lost: the credit note first lowers what the old
invoice still owed (settling it), and what had been paid on it, or covered by the
customer's credit, goes to the customer's balance (`credit_notes.create`); the new
invoice spends that balance as every invoice does (`issuing.issue_many`), so it owes
exactly what the old one still owed — nothing when the old one was paid, the rest when it
was paid in part — and is collected as the old one would have been.

Refused while a payment of the old invoice is still being answered (it would be paid
again on the new one), and for an invoice credited in part already (the new one would
bill what was credited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from recura.core.invoicing import InvoiceInput, LineInput
from recura.core.tax import Category, Decision
from recura.db.models import EInvoice, InvoiceLine
from recura.domains.accounts import service as accounts
from recura.domains.common.errors import ConflictError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import repository
from recura.domains.invoices import credit_notes, issuing
from recura.domains.invoices import service as invoices
from recura.domains.invoices.schemas import CreditNoteCreate
from recura.domains.payments import repository as payments_repository

REASON = "einvoice_correction"
# A payment in one of these may still take money for the old invoice.
IN_FLIGHT = ("processing", "unknown", "requires_action")


@dataclass(frozen=True, slots=True)
class Correction:
    einvoice: EInvoice
    credit_note_id: str
    invoice_id: str


def correct(session: Session, tenant: Tenant, einvoice_id: str, now: datetime) -> Correction:
    row = repository.einvoice_for_update(session, tenant, einvoice_id)
    if row is None:
        raise NotFoundError("einvoice", einvoice_id)
    if row.state != "rejected":
        raise ConflictError(
            f"E-invoice '{row.id}' is {row.state}; only one ANAF rejected is corrected."
        )
    if row.invoice_id is None:
        raise ConflictError("A credit note's e-invoice is corrected by a new credit note.")
    if row.correction_invoice_id is not None:
        raise ConflictError(
            f"E-invoice '{row.id}' was corrected already by invoice '{row.correction_invoice_id}'."
        )
    old = invoices.get_for_update(session, tenant, row.invoice_id)
    if old.amount_credited:
        raise ConflictError(f"Invoice '{old.id}' was credited in part already; correct it by hand.")
    if payments_repository.invoices_with_unsettled(session, [(old.account_id, old.id)], IN_FLIGHT):
        raise ConflictError(
            f"A payment of invoice '{old.id}' is still being answered; correct it once settled."
        )
    lines = invoices.lines_of(session, tenant, [old.id])[old.id]
    note = credit_notes.create(
        session,
        tenant,
        CreditNoteCreate(
            invoice=old.id,
            reason="other",
            memo=f"e-Factura rejected invoice {old.number}; issued again.",
        ),
        now,
    )
    subscription_id = old.subscription_id
    if subscription_id is not None and repository.invoice_of_period(
        session, tenant, subscription_id, old.period_start, REASON
    ):
        # A correction of a correction: the unique (subscription, period, reason) is held.
        subscription_id = None
    account = accounts.get_account(session, tenant.account_id)
    inputs = InvoiceInput(
        currency=old.currency,
        lines=tuple(_same(line) for line in sorted(lines, key=lambda line: line.position)),
        tax_inclusive=old.tax_inclusive,
    )
    (new_id,) = issuing.issue_many(
        session,
        [
            issuing.Issue(
                tenant=tenant,
                account=account,
                customer_id=old.customer_id,
                subscription_id=subscription_id,
                reason=REASON,
                inputs=inputs,
                period_start=old.period_start,
                period_end=old.period_end,
                collection_method=old.collection_method,
            )
        ],
        now,
    )
    row.correction_invoice_id = new_id
    row.updated_at = now
    session.flush()
    return Correction(row, note.id, new_id)


def _same(line: InvoiceLine) -> LineInput:
    """The old line as billed: its discount already taken off (so the same totals come
    out, tax per rate included), with the VAT decision it carried."""
    tax = None
    if line.tax_category is not None:
        tax = Decision(
            category=Category(line.tax_category),
            rate=line.tax_rate,
            country=None,
            exemption_code=line.tax_exemption_code,
            exemption_key=line.tax_exemption_key,
            notes=tuple(line.tax_notes or ()),
        )
    return LineInput(
        description=line.description,
        amount=line.amount - line.discount_amount,
        quantity=line.quantity,
        unit_amount=line.unit_amount if not line.discount_amount else None,
        kind=line.kind,
        period_start=line.period_start,
        period_end=line.period_end,
        proration=line.proration,
        tax_rate=line.tax_rate,
        discountable=False,
        plan_id=line.plan_id,
        tax=tax,
    )
