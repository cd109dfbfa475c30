"""The next renewal invoice of a customer's subscription, as it stands now: the same
calculation the renewal will run, with usage so far, nothing saved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.core.invoicing import InvoiceDraft
from recura.core.lifecycle import Status
from recura.db.models import Customer, Subscription
from recura.domains.common import lookup
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import issuing
from recura.domains.subscriptions import changes, invoicing, renewals, repository, service

RENEWING = (Status.TRIALING, Status.ACTIVE, Status.PAST_DUE)


def invoice(
    session: Session, tenant: Tenant, customer_id: str, subscription_id: str | None, now: datetime
) -> InvoiceDraft:
    customer = lookup.require(session, tenant, Customer, customer_id, "customer")
    sub = _subscription(session, tenant, customer, subscription_id)
    closing = service.billing_of(session, tenant, sub)
    b = closing
    if sub.pending_change is not None and sub.pending_change_at == sub.current_period_end:
        b = changes.pending_billing(session, tenant, closing)
    used = invoicing.usage_of(session, [(closing, closing.current())])[0]
    _, _, inputs = renewals.renewal(
        session, b, closing, used, sub.current_period_end, consume=False
    )
    return issuing.draft(session, tenant, customer.id, inputs)


def _subscription(
    session: Session, tenant: Tenant, customer: Customer, subscription_id: str | None
) -> Subscription:
    renewing = [s.value for s in RENEWING]
    sub = repository.next_renewing(session, tenant, customer.id, renewing, subscription_id)
    if sub is None:
        # Nothing renews: canceled, set to cancel, paused, or no subscription at all.
        raise NotFoundError("renewing subscription for customer", customer.id)
    return sub
