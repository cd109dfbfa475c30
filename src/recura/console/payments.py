"""The Payments section: every payment, newest first, filtered by status, processor,
customer and the days it was made; and a payment's page with the invoice it pays, the
invoice's other attempts, its refunds and its disputes. Disputes and bank transactions
have their own pages under the same section (`disputes.py`, `bank_transactions.py`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from recura.console import auth, modes, operations, pages
from recura.console.auth import Operator
from recura.db.models import Payment
from recura.domains.customers import repository as customers
from recura.domains.invoices import repository as invoices
from recura.domains.payments import repository, service

router = APIRouter(prefix="/console/payments")
READ = auth.require("payments.read")
STATUSES = ("succeeded", "failed", "processing", "requires_action", "unknown")
PROCESSORS = ("stripe", "paypal", "bank_transfer", "sandbox")
SHOWN = 50


@router.get("")
def payment_list(
    request: Request,
    status: str = "",
    processor: str = "",
    customer: str = "",
    since: str = "",
    until: str = "",
    after: str = "",
    mode: str = "",
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    test = mode == modes.TEST
    chosen_status = status if status in STATUSES else ""
    chosen_processor = processor if processor in PROCESSORS else ""
    customer_id = customer.strip()[:64]
    first, last = operations.parse_day(since), operations.parse_day(until)
    start, end = operations.day_bounds(first, last, operator.account.timezone)
    tenant = operations.tenant(operator, test)
    with pages.unit(request) as session:
        found = service.page(
            session,
            tenant,
            operations.PER_PAGE,
            after[:64] or None,
            customer=customer_id or None,
            status=chosen_status or None,
            gateway=chosen_processor or None,
            since=start,
            before=end,
        )
        names = _customer_names(session, operator.account.id, found.items)
        session.expunge_all()
    filters = {
        "status": chosen_status,
        "processor": chosen_processor,
        "customer": customer_id,
        "since": first.isoformat() if first else "",
        "until": last.isoformat() if last else "",
        "mode": modes.TEST if test else "",
    }
    more = None
    if found.has_more:
        more = operations.link("/console/payments", **filters, after=found.items[-1].id)
    return operations.render(
        request,
        operator,
        "payments.html",
        payments=found.items,
        names=names,
        filters=filters,
        statuses=STATUSES,
        processors=PROCESSORS,
        test=test,
        first_page=operations.link("/console/payments", **filters) if after else None,
        more=more,
        other_mode="/console/payments" + ("" if test else "?mode=test"),
        bad_days=(since.strip() != "" and first is None) or (until.strip() != "" and last is None),
    )


def _customer_names(session: Session, account_id: str, found: list[Payment]) -> dict[str, str]:
    keys = {(account_id, p.customer_id) for p in found}
    rows = customers.customers_by_key(session, keys)
    return {c.id: c.name or c.email or c.id for c in rows.values()}


@router.get("/{payment_id}")
def payment_page(
    payment_id: str, request: Request, operator: Operator = Depends(READ)
) -> HTMLResponse:
    account_id = operator.account.id
    with pages.unit(request) as session:
        payment = repository.find_payment_by_key(session, account_id, payment_id[:64])
        if payment is None:
            return auth.render(request, operator, "not_found.html", 404)
        tenant = operations.tenant(operator, not payment.livemode)
        invoice = invoices.find_by_key(session, account_id, payment.invoice_id)
        customer = customers.find_by_key(session, account_id, payment.customer_id)
        attempts = service.page(session, tenant, SHOWN, None, invoice=payment.invoice_id).items
        refunds = repository.refunds_page(session, tenant, SHOWN, None, payment.id).items
        disputes = repository.disputes_page(session, tenant, SHOWN, None, payment.id).items
        session.expunge_all()
    return operations.render(
        request,
        operator,
        "payment.html",
        payment=payment,
        invoice=invoice,
        customer=customer,
        attempts=attempts,
        refunds=refunds,
        disputes=disputes,
        processors=PROCESSORS,
    )
