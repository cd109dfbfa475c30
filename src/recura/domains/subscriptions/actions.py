"""What a merchant or subscriber asks of a subscription: cancel, reactivate, pause, resume."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.core.lifecycle import Status
from recura.core.periods import Period
from recura.db.models import Subscription
from recura.domains.common.errors import invalid
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service as customers
from recura.domains.subscriptions import cycle, invoicing, service, state
from recura.domains.subscriptions.invoicing import InvoiceBasis


def _load(
    session: Session, tenant: Tenant, subscription_id: str, now: datetime
) -> tuple[InvoiceBasis, datetime]:
    sub = service.get_for_update(session, tenant, subscription_id)
    b = service.billing_of(session, tenant, sub)
    return b, customers.now_for(session, tenant, b.customer, now)


def _settle(session: Session, tenant: Tenant, b: InvoiceBasis, now: datetime, reason: str) -> None:
    """Bill the running period up to `now` and credit its paid, unused rest."""
    current = b.current()
    lines = invoicing.unused_credit_lines(b, now)
    if current.start < now:
        lines = invoicing.arrears(session, b, Period(current.start, now)) + lines
    invoicing.issue(session, tenant, b, reason, b.inputs(lines), current, now)


def cancel(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    now: datetime,
    *,
    at_period_end: bool,
    prorate: bool,
) -> Subscription:
    """At period end: nothing more is billed after it. Now: usage so far is billed and, with
    `prorate`, the unused paid time goes to the customer's balance."""
    b, now = _load(session, tenant, subscription_id, now)
    before = state.state_of(b.sub)
    new, happened = lifecycle.cancel(before, now, at_period_end)
    # Only a running paid term has usage or paid time to settle (a paused one was settled).
    if new.status is Status.CANCELED and before.status in (Status.ACTIVE, Status.PAST_DUE):
        if prorate and not at_period_end:
            _settle(session, tenant, b, now, invoicing.CANCEL)
        elif b.current().start < min(now, b.current().end):
            span = Period(b.current().start, min(now, b.current().end))
            inputs = b.inputs(invoicing.arrears(session, b, span))
            invoicing.issue(session, tenant, b, invoicing.CANCEL, inputs, b.current(), now)
    state.save(session, tenant, b.sub, new, happened, b.terms, now)
    return b.sub


def reactivate(
    session: Session, tenant: Tenant, subscription_id: str, now: datetime
) -> Subscription:
    b, now = _load(session, tenant, subscription_id, now)
    new, happened = lifecycle.reactivate(state.state_of(b.sub), now)
    state.save(session, tenant, b.sub, new, happened, b.terms, now)
    return b.sub


def pause(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    now: datetime,
    resume_at: datetime | None,
) -> Subscription:
    """InvoiceBasis stops now: usage so far is billed and the unused paid time credited."""
    b, now = _load(session, tenant, subscription_id, now)
    if resume_at is not None and resume_at <= now:
        raise invalid("/resume_at", "must be in the future")
    new, happened = lifecycle.pause(state.state_of(b.sub), now, resume_at)
    _settle(session, tenant, b, now, invoicing.PAUSE)
    state.save(session, tenant, b.sub, new, happened, b.terms, now)
    return b.sub


def resume(session: Session, tenant: Tenant, subscription_id: str, now: datetime) -> Subscription:
    b, now = _load(session, tenant, subscription_id, now)
    cycle.resume(session, tenant, b, now)
    return b.sub
