"""The Invoices section: the list (by status, or only the overdue, newest first, a page at
a time), what open invoices leave to pay by how long past due (aging buckets, totals per
currency), and each invoice's page: lines, taxes, payments and credit notes, with the
actions of `invoice_actions.py`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from recura.console import acting, auth, pages
from recura.console import subscriptions as subscription_pages
from recura.console.auth import Operator
from recura.core.money import exponent
from recura.db.models import CreditNote, Customer, Invoice, InvoiceLine, Payment
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.invoices import repository as invoices

router = APIRouter(prefix="/console/invoices")
READ = auth.require("invoices.read")
PER_PAGE = 25
STATUSES = ("open", "paid", "void", "uncollectible")
BUCKETS = ("current", *(name for name, _ in invoices.AGING_BUCKETS))
CREDIT_REASONS = (
    "duplicate",
    "fraudulent",
    "order_change",
    "product_unsatisfactory",
    "goodwill",
    "other",
)


@dataclass(frozen=True, slots=True)
class Aging:
    """Per currency, each bucket's (invoices, amount left to pay)."""

    rows: dict[str, dict[str, tuple[int, int]]]

    def total(self, currency: str) -> int:
        return sum(amount for _, amount in self.rows[currency].values())


def aging(session: Session, tenant: Tenant, now: Any) -> Aging:
    rows: dict[str, dict[str, tuple[int, int]]] = {}
    for currency, bucket, count, amount in invoices.aging(session, tenant, now):
        rows.setdefault(currency, {})[bucket] = (count, amount)
    return Aging(dict(sorted(rows.items())))


@router.get("")
def invoice_list(
    request: Request,
    status: str = "",
    overdue: str = "",
    after: str = "",
    mode: str = "",
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    test = mode == "test"
    tenant = Tenant(operator.account.id, livemode=not test)
    chosen = status if status in STATUSES else ""
    now = request.app.state.clock.now()
    with pages.unit(request) as session:
        found = invoices.console_page(
            session,
            tenant,
            PER_PAGE,
            after[:64] or None,
            status=chosen or None,
            overdue_at=now if overdue == "1" else None,
        )
        owed = aging(session, tenant, now)
        named = subscription_pages.customers_of(
            session, operator.account.id, {i.customer_id for i in found.items}
        )
        session.expunge_all()
    kept = {
        name: value
        for name, value in {
            "status": chosen,
            "overdue": "1" if overdue == "1" else "",
            "mode": "test" if test else "",
        }.items()
        if value
    }
    more = None
    if found.has_more:
        more = "?" + urlencode({**kept, "after": found.items[-1].id})
    return auth.render(
        request,
        operator,
        "invoices.html",
        invoices=found.items,
        customers=named,
        statuses=STATUSES,
        chosen=chosen,
        overdue=overdue == "1",
        aging=owed,
        buckets=BUCKETS,
        now=now,
        test=test,
        first_page="?" + urlencode(kept) if after else None,
        more=more,
        other_mode="?" + urlencode({} if test else {"mode": "test"}),
        state=lambda value: acting.state_label(value, operator.locale),
    )


@dataclass(frozen=True, slots=True)
class Seen:
    invoice: Invoice
    customer: Customer
    lines: list[InvoiceLine]
    payments: list[Payment]
    credit_notes: list[CreditNote]

    @property
    def left_to_pay(self) -> int:
        invoice = self.invoice
        return invoice.amount_due - invoice.amount_paid if invoice.status == "open" else 0

    @property
    def creditable(self) -> int:
        """What a credit note may still take back (tax included)."""
        return max(self.invoice.total - self.invoice.amount_credited, 0)

    def refundable(self) -> list[Payment]:
        return [
            p
            for p in self.payments
            if p.status == "succeeded"
            and p.amount > p.amount_refunded
            and p.gateway != "bank_transfer"
        ]


def seen(session: Session, invoice: Invoice) -> Seen:
    tenant = Tenant(invoice.account_id, invoice.livemode)
    return Seen(
        invoice=invoice,
        customer=customers.by_key(session, invoice.account_id, invoice.customer_id),
        lines=list(invoices.lines_of_invoice(session, invoice)),
        payments=invoices.payments_of_invoice(session, tenant, invoice.id),
        credit_notes=invoices.credit_notes_of_invoice(session, tenant, invoice.id),
    )


def page(
    request: Request,
    operator: Operator,
    invoice_id: str,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    with pages.unit(request) as session:
        invoice = invoices.find_by_key(session, operator.account.id, invoice_id[:64])
        if invoice is None:
            return auth.render(request, operator, "not_found.html", 404)
        found = seen(session, invoice)
        session.expunge_all()
    return auth.render(
        request,
        operator,
        "invoice.html",
        status,
        seen=found,
        invoice=found.invoice,
        done=done,
        errors=errors or {},
        values=values or {},
        notice=notice,
        reasons=CREDIT_REASONS,
        major=major,
        rate=lambda raw: acting.quantity(Decimal(str(raw))),
        **subscription_pages.helpers(operator),
    )


def major(amount: int, currency: str) -> str:
    """Minor units as the plain number a form field takes ("12.50")."""
    places = exponent(currency)
    return format(Decimal(amount).scaleb(-places), f".{places}f")


@router.get("/{invoice_id}")
def invoice_page(
    invoice_id: str, request: Request, done: str | None = None, operator: Operator = Depends(READ)
) -> HTMLResponse:
    return page(request, operator, invoice_id, done=done if done in DONE else None)


DONE = {
    "void",
    "uncollectible",
    "paid",
    "credit_note",
    "refund",
    "refund_pending",
    "refund_failed",
    "charge",
    "charge_failed",
    "charge_pending",
    "charge_refused",
}
