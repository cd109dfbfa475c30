"""An invoice's payment and what it does to its subscription (the gateways come later and
call the same `settle`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.db.models import Customer, Invoice
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import service
from recura.domains.subscriptions import service as subscriptions
from recura.domains.subscriptions import state, terms


def paid_out_of_band(session: Session, tenant: Tenant, invoice_id: str, now: datetime) -> Invoice:
    invoice = service.get_for_update(session, tenant, invoice_id)
    service.mark_paid(session, tenant, invoice, now)
    settle(session, tenant, invoice, now)
    return invoice


def settle(session: Session, tenant: Tenant, invoice: Invoice, now: datetime) -> None:
    """A paid invoice activates an incomplete subscription and recovers a past-due one."""
    if invoice.subscription_id is None:
        return
    sub = subscriptions.get_for_update(session, tenant, invoice.subscription_id)
    current = state.state_of(sub)
    if current.status not in lifecycle.TRANSITIONS["payment_succeeded"]:
        return
    customer = session.get_one(Customer, (tenant.account_id, sub.customer_id))
    now = subscriptions.now_for(session, tenant, customer, now)
    new, happened = lifecycle.payment_succeeded(current, now)
    state.save(session, tenant, sub, new, happened, terms.load(session, tenant, sub), now)
