"""The signed-in subscriber's invoices and payments: the payment history (payments with
their status and method, refunds, credit notes), the issued invoices page by page, each
invoice as a printable page (with how to pay it by transfer, as the emailed invoice page
shows), and "pay now" on an open invoice through the one charge path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.db.models import CreditNote, Invoice, Payment, Refund
from recura.db.unit_of_work import units_on
from recura.domains.common.errors import DomainError, NotFoundError
from recura.domains.documents import parties
from recura.domains.invoices import credit_notes
from recura.domains.invoices import repository as invoices_repository
from recura.domains.invoices import service as invoices
from recura.domains.payments import methods, refunds
from recura.domains.payments import repository as payments_repository
from recura.domains.payments import service as payments
from recura.domains.payments.outcomes import UNSETTLED
from recura.portal import invoice_view, method_setup, pages, signed_in
from recura.portal.method_setup import Outcome
from recura.portal.signed_in import Visitor

router = APIRouter()
INVOICES_SHOWN = 10
HISTORY_SHOWN = 20
PAY_FORM = "pay_invoice"


@dataclass(frozen=True, slots=True)
class PaymentRow:
    payment: Payment
    number: str
    method: str


@dataclass(frozen=True, slots=True)
class RefundRow:
    refund: Refund
    number: str


@dataclass(frozen=True, slots=True)
class CreditNoteRow:
    note: CreditNote
    number: str


def _numbers(session: Session, account_id: str, invoice_ids: set[str]) -> dict[str, str]:
    found = invoices_repository.invoices_by_key(session, {(account_id, i) for i in invoice_ids})
    return {key[1]: invoice.number or invoice.id for key, invoice in found.items()}


def _payments(session: Session, visitor: Visitor) -> list[PaymentRow]:
    tenant, locale = visitor.tenant, visitor.locale
    found = payments.page(session, tenant, HISTORY_SHOWN, None, customer=visitor.customer.id)
    numbers = _numbers(session, tenant.account_id, {p.invoice_id for p in found.items})
    keys = {(tenant.account_id, p.payment_method_id) for p in found.items if p.payment_method_id}
    used = payments_repository.methods_by_key(session, keys)
    rows = []
    for payment in found.items:
        if payment.gateway == "bank_transfer":
            method = pages.text("billing.bank_transfer", locale)
        else:
            saved = used.get((tenant.account_id, payment.payment_method_id or ""))
            method = pages.describe(saved, locale)
        rows.append(PaymentRow(payment, numbers.get(payment.invoice_id, ""), method))
    return rows


@router.get("/portal/billing")
def overview(request: Request, after: str | None = None) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        tenant, customer = visitor.tenant, visitor.customer
        issued = invoices.issued_of_customer(
            session, tenant, customer.id, INVOICES_SHOWN, (after or "")[:40] or None
        )
        refunded = refunds.of_customer(session, tenant, customer.id, HISTORY_SHOWN)
        notes = credit_notes.of_customer(session, tenant, customer.id, HISTORY_SHOWN)
        numbers = _numbers(
            session,
            tenant.account_id,
            {r.invoice_id for r in refunded} | {n.invoice_id for n in notes},
        )
        return pages.PAGES.render(
            request,
            "billing.html",
            visitor.frame(),
            invoices=issued.items,
            older_url=f"/portal/billing?after={issued.items[-1].id}#invoices"
            if issued.has_more
            else None,
            newest_url="/portal/billing#invoices" if after else None,
            payments=_payments(session, visitor),
            refunds=[RefundRow(r, numbers.get(r.invoice_id, "")) for r in refunded],
            credit_notes=[CreditNoteRow(n, numbers.get(n.invoice_id, "")) for n in notes],
            default_method=methods.default_of(session, tenant, customer),
            describe=lambda m: pages.describe(m, visitor.locale),
        )


def _invoice(session: Session, visitor: Visitor, invoice_id: str) -> Invoice | None:
    try:
        return invoices.of_customer(session, visitor.tenant, visitor.customer.id, invoice_id)
    except NotFoundError:
        return None


def _invoice_page(
    session: Session,
    request: Request,
    visitor: Visitor,
    invoice: Invoice,
    *,
    notice: str | None = None,
    outcomes: tuple[Outcome, ...] = (),
    status: int = 200,
) -> Response:
    tenant, customer = visitor.tenant, visitor.customer
    method = methods.default_of(session, tenant, customer)
    due = invoice.amount_due - invoice.amount_paid
    awaited = payments_repository.invoices_with_unsettled(
        session, [(invoice.account_id, invoice.id)], UNSETTLED
    )
    payable = invoice.status == "open" and due > 0 and method is not None and not awaited
    transfer = invoice_view.transfer(visitor.account, invoice)
    path = f"/portal/invoices/{invoice.id}"
    lines = invoices_repository.lines_of_invoice(session, invoice)
    values: dict[str, Any] = invoice_view.transfer_values(transfer, f"{path}/qr.png")
    return pages.PAGES.render(
        request,
        "invoice_document.html",
        visitor.frame(),
        status,
        invoice=invoice,
        lines=lines,
        mentions=parties.mentions(lines, visitor.locale),
        taxes=parties.tax_lines(invoice, visitor.locale),
        seller=parties.seller(visitor.account, visitor.locale),
        buyer=parties.buyer(customer, visitor.locale),
        due=due,
        pay_method=pages.describe(method, visitor.locale) if payable else None,
        pay_url=f"{path}/pay",
        pdf_url=invoice_view.pdf_url(session, invoice, f"{path}/pdf"),
        notice=notice,
        outcomes=outcomes,
        **values,
    )


@router.get("/portal/invoices/{invoice_id}")
def show(invoice_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        invoice = _invoice(session, visitor, invoice_id)
        if invoice is None:
            return pages.not_found(request)
        return _invoice_page(session, request, visitor, invoice)


@router.get("/portal/invoices/{invoice_id}/qr.png")
def qr(invoice_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        invoice = _invoice(session, visitor, invoice_id) if visitor else None
        transfer = invoice_view.transfer(visitor.account, invoice) if visitor and invoice else None
    return invoice_view.qr_response(transfer)


@router.get("/portal/invoices/{invoice_id}/pdf")
def pdf(invoice_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        invoice = _invoice(session, visitor, invoice_id)
        found = invoice_view.pdf_response(session, invoice) if invoice else None
        return found or pages.not_found(request)


@router.post("/portal/invoices/{invoice_id}/pay")
async def pay(invoice_id: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_pay, invoice_id, request, fields)


def _pay(invoice_id: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        invoice = _invoice(session, visitor, invoice_id)
        if invoice is None:
            return pages.not_found(request)
        if not signed_in.form_accepted(request, visitor, PAY_FORM, fields):
            return _invoice_page(
                session, request, visitor, invoice, notice="page.form_expired", status=403
            )
        try:
            # Committed first, charged with no transaction open, recorded: `charge_now`.
            payment = payments.pay(units_on(session), visitor.tenant, invoice.id, visitor.now)
        except DomainError:
            # Paid meanwhile, a payment still in progress, or no method any more.
            invoice = invoices.get(session, visitor.tenant, invoice_id)
            return _invoice_page(
                session, request, visitor, invoice, notice="billing.cannot_pay", status=409
            )
        outcome = method_setup.outcome(session, payment, visitor.locale)
        invoice = invoices.get(session, visitor.tenant, invoice_id)
        return _invoice_page(session, request, visitor, invoice, outcomes=(outcome,))
