"""Reading payments, and charging an invoice now when asked to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import Customer, Payment
from recura.db.unit_of_work import Units
from recura.domains.common import lookup
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service as customers
from recura.domains.invoices import service as invoices
from recura.domains.payments import collection


def get(session: Session, tenant: Tenant, payment_id: str) -> Payment:
    return lookup.require(session, tenant, Payment, payment_id, "payment")


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    *,
    invoice: str | None = None,
    customer: str | None = None,
) -> Page[Payment]:
    stmt = tenant.scope(select(Payment), Payment)
    if invoice is not None:
        stmt = stmt.where(Payment.invoice_id == invoice)
    if customer is not None:
        stmt = stmt.where(Payment.customer_id == customer)
    return paginate(session, stmt, Payment, limit, starting_after)


def pay(units: Units, tenant: Tenant, invoice_id: str, now: datetime) -> Payment:
    """An attempt at the invoice's remaining amount on the default payment method, at once,
    at the customer's time (a test clock's, if it is on one)."""
    with units() as session:
        invoice = invoices.get(session, tenant, invoice_id)
        customer = session.get_one(Customer, (tenant.account_id, invoice.customer_id))
        now = customers.now_for(session, tenant, customer, now)

    def begin(session: Session) -> list[collection.Pending]:
        invoice = invoices.get_for_update(session, tenant, invoice_id)
        return [collection.pay_now(session, tenant, invoice, now)]

    (payment,) = collection.charge_now(units, begin, now)
    return payment
