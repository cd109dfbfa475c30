"""Reading payments, and charging an invoice now when asked to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Payment
from recura.db.unit_of_work import Units
from recura.domains.common import lookup
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.invoices import service as invoices
from recura.domains.payments import collection, repository


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
    status: str | None = None,
    gateway: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
) -> Page[Payment]:
    return repository.payments_page(
        session,
        tenant,
        limit,
        starting_after,
        invoice=invoice,
        customer=customer,
        status=status,
        gateway=gateway,
        since=since,
        before=before,
    )


def pay(units: Units, tenant: Tenant, invoice_id: str, now: datetime) -> Payment:
    """An attempt at the invoice's remaining amount on the default payment method, at once,
    at the customer's time (a test clock's, if it is on one)."""
    with units() as session:
        invoice = invoices.get(session, tenant, invoice_id)
        customer = customers_repository.by_key(session, tenant.account_id, invoice.customer_id)
        now = customers.now_for(session, tenant, customer, now)

    def begin(session: Session) -> list[collection.Pending]:
        invoice = invoices.get_for_update(session, tenant, invoice_id)
        return [collection.pay_now(session, tenant, invoice, now)]

    paying = (tenant, customer.id)
    (payment,) = collection.charge_now(units, begin, now, customer=paying)
    return payment
