"""Credit notes: a full or partial credit against a finalised invoice.

On an open invoice the credit first lowers what is still due (the invoice is settled if
nothing is left); the rest, and any credit on a paid invoice, goes to the customer's
balance, spent by their next invoices. Credit notes are numbered gaplessly in their own
series (the invoice prefix + "CN").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from recura.core.credit_notes import BilledRate, split_credit
from recura.db.models import CreditNote
from recura.domains.accounts import service as accounts
from recura.domains.balances import service as balances
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.fields import money_out, trim_zeros
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.invoices import numbering, repository, service
from recura.domains.invoices.schemas import CreditNoteCreate, CreditNoteLineOut, CreditNoteOut
from recura.ids import new_id

CREDITABLE = ("open", "paid")


def get(session: Session, tenant: Tenant, credit_note_id: str) -> CreditNote:
    return lookup.require(session, tenant, CreditNote, credit_note_id, "credit note")


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, invoice: str | None
) -> Page[CreditNote]:
    return repository.credit_notes_page(session, tenant, limit, starting_after, invoice)


def of_customer(session: Session, tenant: Tenant, customer_id: str, limit: int) -> list[CreditNote]:
    """The customer's newest credit notes, newest first."""
    return repository.credit_notes_of_customer(session, tenant, customer_id, limit)


def create(
    session: Session,
    tenant: Tenant,
    data: CreditNoteCreate,
    now: datetime,
    *,
    refund: bool = False,
) -> CreditNote:
    """Credit an invoice. With `refund`, the credit is money paid back (a refund records
    it), so it goes neither off the invoice's amount due nor onto the customer's balance."""
    invoice = service.get_for_update(session, tenant, data.invoice, pointer="/invoice")
    customer = customers_repository.by_key(session, tenant.account_id, invoice.customer_id)
    now = customers.now_for(session, tenant, customer, now)
    if invoice.status not in CREDITABLE:
        raise ConflictError(
            f"Invoice '{invoice.id}' is {invoice.status}; only an open or paid invoice is credited."
        )
    left = invoice.total - invoice.amount_credited
    if left <= 0:
        raise ConflictError(f"Invoice '{invoice.id}' has been credited in full already.")
    amount = left if data.amount is None else data.amount
    if amount > left:
        raise invalid("/amount", f"at most {left}, what is left to credit on the invoice")
    billed = tuple(BilledRate(Decimal(t["rate"]), t["net"], t["tax"]) for t in invoice.tax_lines)
    credited = split_credit(amount, billed)
    due = invoice.amount_due - invoice.amount_paid if invoice.status == "open" else 0
    to_invoice = 0 if refund else min(amount, due)
    refunded = amount if refund else 0
    account = accounts.get_account(session, tenant.account_id)
    note = CreditNote(
        id=new_id("credit_note"),
        **tenant.row_keys(),
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        number=numbering.next_number(session, tenant, f"{account.invoice_series_prefix}CN"),
        currency=invoice.currency,
        subtotal=sum(c.net for c in credited),
        tax_total=sum(c.tax for c in credited),
        total=amount,
        applied_to_invoice=to_invoice,
        credited_to_balance=amount - to_invoice - refunded,
        refunded=refunded,
        reason=data.reason,
        memo=data.memo,
        lines=[{"tax_rate": str(c.rate), "net": c.net, "tax": c.tax} for c in credited],
        created_at=now,
    )
    session.add(note)
    invoice.amount_credited += amount
    invoice.amount_due -= to_invoice
    invoice.updated_at = now
    balances.lock(session, tenant.account_id, [invoice.customer_id])
    balances.add(
        session,
        tenant,
        invoice.customer_id,
        invoice.currency,
        note.credited_to_balance,
        "credit_note",
        f"Credit note {note.number}",
        now,
        invoice_id=invoice.id,
        credit_note_id=note.id,
    )
    session.flush()
    events.record(session, tenant, _summary(note, payloads.CreditNoteCreated), now)
    if invoice.status == "open" and invoice.amount_due == invoice.amount_paid:
        service.mark_paid(session, tenant, invoice, now)
    return note


def _summary(
    note: CreditNote, kind: type[payloads.CreditNoteCreated]
) -> payloads.CreditNoteCreated:
    return kind(
        id=note.id,
        number=note.number,
        invoice=note.invoice_id,
        customer=note.customer_id,
        currency=note.currency,
        total=note.total,
        applied_to_invoice=note.applied_to_invoice,
        credited_to_balance=note.credited_to_balance,
        refunded=note.refunded,
        reason=note.reason,
    )


def to_out(note: CreditNote) -> CreditNoteOut:
    c = note.currency
    return CreditNoteOut(
        id=note.id,
        number=note.number,
        invoice=note.invoice_id,
        customer=note.customer_id,
        currency=c,
        lines=[
            CreditNoteLineOut(
                tax_rate=trim_zeros(Decimal(line["tax_rate"])),
                net_amount=money_out(line["net"], c),
                tax_amount=money_out(line["tax"], c),
            )
            for line in note.lines
        ],
        subtotal=money_out(note.subtotal, c),
        tax_total=money_out(note.tax_total, c),
        total=money_out(note.total, c),
        applied_to_invoice=money_out(note.applied_to_invoice, c),
        credited_to_balance=money_out(note.credited_to_balance, c),
        refunded=money_out(note.refunded, c),
        reason=note.reason,
        memo=note.memo,
        livemode=note.livemode,
        created_at=note.created_at,
    )
