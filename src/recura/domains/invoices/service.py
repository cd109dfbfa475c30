"""Invoices once issued (see issuing.py): open → paid / void / uncollectible, and reading them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.db.models import Invoice, InvoiceLine
from recura.domains.balances import service as balances
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, NotFoundError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.invoices import repository
from recura.domains.invoices.issuing import summary_of

SUMMARY_FIELDS = (
    "id",
    "number",
    "status",
    "reason",
    "customer_id",
    "subscription_id",
    "currency",
    "total",
    "amount_due",
    "amount_paid",
)


def get(session: Session, tenant: Tenant, invoice_id: str) -> Invoice:
    return lookup.require(session, tenant, Invoice, invoice_id, "invoice")


def get_for_update(
    session: Session, tenant: Tenant, invoice_id: str, *, pointer: str | None = None
) -> Invoice:
    """The invoice, its row locked until commit; with `pointer`, a missing one is a 422
    there (the id came in a request body)."""
    invoice = repository.get_for_update(session, tenant, invoice_id)
    if invoice is None:
        if pointer is not None:
            raise invalid(pointer, f"no invoice with id '{invoice_id}'")
        raise NotFoundError("invoice", invoice_id)
    return invoice


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    *,
    customer: str | None = None,
    subscription: str | None = None,
    status: str | None = None,
) -> Page[Invoice]:
    return repository.page(
        session,
        tenant,
        limit,
        starting_after,
        customer=customer,
        subscription=subscription,
        status=status,
    )


def issued_of_customer(
    session: Session, tenant: Tenant, customer_id: str, limit: int, starting_after: str | None
) -> Page[Invoice]:
    """The customer's issued invoices (drafts left out), newest first."""
    return repository.issued_of_customer(session, tenant, customer_id, limit, starting_after)


def of_customer(session: Session, tenant: Tenant, customer_id: str, invoice_id: str) -> Invoice:
    """The customer's issued invoice; another customer's, or a draft, is not found."""
    invoice = get(session, tenant, invoice_id)
    if invoice.customer_id != customer_id or invoice.number is None:
        raise NotFoundError("invoice", invoice_id)
    return invoice


def lines_of(
    session: Session, tenant: Tenant, invoice_ids: list[str]
) -> dict[str, list[InvoiceLine]]:
    found: dict[str, list[InvoiceLine]] = {i: [] for i in invoice_ids}
    for line in repository.lines_of(session, tenant, invoice_ids):
        found[line.invoice_id].append(line)
    return found


def setup_fee_charged(session: Session, tenant: Tenant, customer_id: str, plan_id: str) -> bool:
    """Whether the customer was invoiced the plan's setup fee before, on an invoice that was
    not voided. One query, from the customer's invoices (indexed) to their lines."""
    return repository.setup_fee_line(session, tenant, customer_id, plan_id) is not None


def mark_paid(session: Session, tenant: Tenant, invoice: Invoice, now: datetime) -> None:
    _require_status(invoice, ("open", "uncollectible"), "paid")
    invoice.status = "paid"
    invoice.amount_paid = invoice.amount_due
    invoice.paid_at = now
    invoice.next_payment_attempt_at = None
    invoice.updated_at = now
    _record(session, tenant, invoice, payloads.InvoicePaid, now)


def record_payment(
    session: Session, tenant: Tenant, invoice: Invoice, amount: int, now: datetime
) -> int:
    """Money received for an open invoice, in full or in part; returns what exceeds what was
    still due (the caller credits it to the customer's balance)."""
    if invoice.status not in ("open", "uncollectible"):
        return amount
    remaining = invoice.amount_due - invoice.amount_paid
    applied = min(amount, remaining)
    invoice.amount_paid += applied
    invoice.updated_at = now
    if invoice.amount_paid >= invoice.amount_due:
        mark_paid(session, tenant, invoice, now)
    return amount - applied


def take_back_payment(
    session: Session, tenant: Tenant, invoice: Invoice, amount: int, now: datetime
) -> bool:
    """Money received for `invoice` went back to the payer (a returned bank transfer): it
    is due again, and a paid invoice is open again. Returns whether it was reopened."""
    invoice.amount_paid = max(invoice.amount_paid - amount, 0)
    invoice.updated_at = now
    if invoice.status != "paid" or invoice.amount_paid >= invoice.amount_due:
        return False
    invoice.status = "open"
    invoice.paid_at = None
    _record(session, tenant, invoice, payloads.InvoiceReopened, now)
    return True


def void(session: Session, tenant: Tenant, invoice_id: str, now: datetime) -> Invoice:
    """open → void; credit it had spent goes back to the customer's balance."""
    invoice = get_for_update(session, tenant, invoice_id)
    _require_status(invoice, ("open",), "voided")
    balances.lock(session, tenant.account_id, [invoice.customer_id])
    balances.add(
        session,
        tenant,
        invoice.customer_id,
        invoice.currency,
        invoice.credit_applied,
        "invoice_voided",
        f"Invoice {invoice.number} voided",
        now,
        invoice_id=invoice.id,
    )
    invoice.status = "void"
    invoice.voided_at = now
    invoice.next_payment_attempt_at = None
    invoice.updated_at = now
    _record(session, tenant, invoice, payloads.InvoiceVoided, now)
    return invoice


def mark_uncollectible(session: Session, tenant: Tenant, invoice_id: str, now: datetime) -> Invoice:
    invoice = get_for_update(session, tenant, invoice_id)
    _require_status(invoice, ("open",), "marked uncollectible")
    invoice.status = "uncollectible"
    invoice.next_payment_attempt_at = None
    invoice.updated_at = now
    _record(session, tenant, invoice, payloads.InvoiceMarkedUncollectible, now)
    return invoice


def summary(invoice: Invoice) -> dict[str, Any]:
    """What an invoice event carries: the fields of `payloads.InvoiceData`."""
    return summary_of({c: getattr(invoice, c) for c in SUMMARY_FIELDS})


def _record(
    session: Session,
    tenant: Tenant,
    invoice: Invoice,
    kind: type[payloads.InvoiceData],
    now: datetime,
) -> None:
    events.record(session, tenant, kind(**summary(invoice)), now)


def _require_status(invoice: Invoice, allowed: tuple[str, ...], done: str) -> None:
    if invoice.status not in allowed:
        which = " or ".join(allowed)
        article = "an" if which[0] in "aeiou" else "a"
        raise ConflictError(
            f"Invoice '{invoice.id}' is {invoice.status}; only {article} {which} invoice "
            f"can be {done}."
        )
