"""Invoices and previews as the API shows them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from recura.core.invoicing import DraftLine, InvoiceDraft
from recura.db.models import Invoice
from recura.domains.common.fields import money_out, trim_zeros
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import service
from recura.domains.invoices.schemas import (
    DiscountAmountOut,
    InvoiceLineOut,
    InvoiceOut,
    InvoicePreviewOut,
    TaxLineOut,
)


def _tax(line: Any) -> tuple[str | None, str | None]:
    """A line's VAT category and reason: a draft's decision, or a stored line's columns."""
    if isinstance(line, DraftLine):
        if line.tax is None:
            return None, None
        return line.tax.category.value, line.tax.exemption_code
    return line.tax_category, line.tax_exemption_code


def _notes(line: Any) -> list[str]:
    """A line's mentions as the API names them: the catalog keys without `tax.note.`."""
    if isinstance(line, DraftLine):
        keys = list(line.tax.notes) if line.tax is not None else []
    else:
        keys = list(line.tax_notes or [])
    return [key.removeprefix("tax.note.") for key in keys]


def _line(line: Any, currency: str) -> InvoiceLineOut:
    category, exemption = _tax(line)
    return InvoiceLineOut(
        description=line.description,
        kind=line.kind,
        quantity=trim_zeros(line.quantity),
        unit_amount=None if line.unit_amount is None else trim_zeros(line.unit_amount),
        amount=money_out(line.amount, currency),
        discount_amount=money_out(line.discount_amount, currency),
        tax_rate=trim_zeros(line.tax_rate),
        tax_category=category,
        tax_exemption_code=exemption,
        tax_notes=_notes(line),
        period_start=line.period_start,
        period_end=line.period_end,
        proration=line.proration,
    )


def preview_out(draft: InvoiceDraft) -> InvoicePreviewOut:
    c = draft.currency
    return InvoicePreviewOut(
        currency=c,
        lines=[_line(line, c) for line in draft.lines],
        subtotal=money_out(draft.subtotal, c),
        discounts=[
            DiscountAmountOut(description=d.description, amount=money_out(d.amount, c))
            for d in draft.discounts
        ],
        discount_total=money_out(draft.discount_total, c),
        tax_lines=[
            TaxLineOut(
                rate=trim_zeros(t.rate),
                taxable_amount=money_out(t.taxable_amount, c),
                tax_amount=money_out(t.tax_amount, c),
            )
            for t in draft.tax_lines
        ],
        tax_total=money_out(draft.tax_total, c),
        tax_inclusive=draft.tax_inclusive,
        total=money_out(draft.total, c),
        credit_applied=money_out(draft.credit_applied, c),
        amount_due=money_out(draft.amount_due, c),
    )


def invoices_out(session: Session, tenant: Tenant, found: list[Invoice]) -> list[InvoiceOut]:
    lines = service.lines_of(session, tenant, [i.id for i in found])
    return [_out(i, lines[i.id]) for i in found]


def _out(invoice: Invoice, lines: list[Any]) -> InvoiceOut:
    c = invoice.currency
    remaining = 0
    if invoice.status == "open":
        remaining = invoice.amount_due - invoice.amount_paid
    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        status=invoice.status,
        reason=invoice.reason,
        customer=invoice.customer_id,
        subscription=invoice.subscription_id,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        currency=c,
        lines=[_line(line, c) for line in lines],
        subtotal=money_out(invoice.subtotal, c),
        discounts=[
            DiscountAmountOut(description=d["description"], amount=money_out(d["amount"], c))
            for d in invoice.discounts
        ],
        discount_total=money_out(invoice.discount_total, c),
        tax_lines=[
            TaxLineOut(
                rate=trim_zeros(Decimal(t["rate"])),
                taxable_amount=money_out(t["net"], c),
                tax_amount=money_out(t["tax"], c),
            )
            for t in invoice.tax_lines
        ],
        tax_total=money_out(invoice.tax_total, c),
        tax_inclusive=invoice.tax_inclusive,
        total=money_out(invoice.total, c),
        credit_applied=money_out(invoice.credit_applied, c),
        amount_due=money_out(invoice.amount_due, c),
        amount_paid=money_out(invoice.amount_paid, c),
        amount_credited=money_out(invoice.amount_credited, c),
        amount_remaining=money_out(remaining, c),
        collection_method=invoice.collection_method,
        due_at=invoice.due_at,
        attempt_count=invoice.attempt_count,
        next_payment_attempt=invoice.next_payment_attempt_at,
        payment_reference=invoice.payment_reference,
        finalized_at=invoice.finalized_at,
        paid_at=invoice.paid_at,
        voided_at=invoice.voided_at,
        livemode=invoice.livemode,
        created_at=invoice.created_at,
    )
