"""A checkout session completed, once, by whoever learns first that its subscription started.

The confirming page (`complete.settle`) learns it when the first charge is answered at
once; a charge answered later (a processor's webhook, the reconciler, a transfer found in a
bank statement, the subscriber back from 3-D Secure) activates the subscription through
`subscriptions.settlement`, which calls `subscription_started` in the same transaction.
Both hold the session's row and look at its status first, so
`checkout.session.completed` is recorded exactly once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from recura.db.models import CheckoutSession, Invoice, Subscription
from recura.domains.checkout import repository
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.funnels import counters
from recura.domains.invoices import repository as invoices_repository
from recura.domains.invoices.issuing import SEND_INVOICE


def first_invoice(session: Session, tenant: Tenant, sub: Subscription) -> Invoice | None:
    return next(iter(invoices_repository.of_subscription(session, tenant, sub.id)), None)


def subscription_started(
    session: Session, tenant: Tenant, sub: Subscription, now: datetime
) -> None:
    """The subscription a checkout made has started (its first payment arrived): the
    checkout completes, if it has not. Completed even past its 24 hours: the subscriber
    has paid."""
    checkout = repository.of_subscription_for_update(session, tenant, sub.id)
    if checkout is None or checkout.status == "complete":
        return
    finish(session, tenant, checkout, sub, first_invoice(session, tenant, sub), now)


def subscription_expired(
    session: Session, tenant: Tenant, sub: Subscription, now: datetime
) -> None:
    """The subscription a checkout made expired unpaid: the checkout, if still open, ends
    with it (there is nothing left for it to charge)."""
    checkout = repository.of_subscription_for_update(session, tenant, sub.id)
    if checkout is None or checkout.status != "open":
        return
    checkout.status, checkout.updated_at = "expired", now


def finish(
    session: Session,
    tenant: Tenant,
    checkout: CheckoutSession,
    sub: Subscription,
    first: Invoice | None,
    now: datetime,
) -> None:
    """Mark the session complete and record `checkout.session.completed`; the caller
    holds the session's row and has checked it is not complete yet."""
    was = counters.counted(checkout)
    checkout.status, checkout.completed_at, checkout.updated_at = "complete", now, now
    counters.changed(session, checkout, was)
    checkout.last_error = None
    if sub.collection_method == SEND_INVOICE and first is not None and first.amount_due:
        payment: Literal["charged", "bank_transfer", "not_required"] = "bank_transfer"
    elif first is not None and first.amount_due:
        payment = "charged"
    else:
        payment = "not_required"
    data = payloads.CheckoutSessionCompleted(
        id=checkout.id,
        customer=sub.customer_id,
        subscription=sub.id,
        plan=sub.plan_id,
        invoice=first.id if first else None,
        currency=sub.currency,
        amount_total=first.total if first else 0,
        payment=payment,
        metadata=checkout.metadata_,
        acquisition=checkout.acquisition,
    )
    events.record(session, tenant, data, now)
