"""Due work on one subscription: trial notices and ends, renewals, scheduled changes and
cancellations, automatic resumes, incomplete subscriptions whose first payment never came.
The worker and test clocks call `run_due`; the invoice of each step is unique per
(subscription, period, reason), so a rerun cannot bill twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.core.lifecycle import Status
from recura.core.periods import BillingAlignment, Period, first_period, schedule_for
from recura.db.models import Invoice, Subscription
from recura.domains.checkout import finishing as checkouts
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import repository as invoices_repository
from recura.domains.invoices import service as invoices
from recura.domains.payments import repository as payments_repository
from recura.domains.subscriptions import changes, invoicing, renewals, service, state
from recura.domains.subscriptions.invoicing import InvoiceBasis

# A loop guard: more steps than this at once means a bug, not a backlog (one renewal per
# period is at most a few hundred steps even for a daily plan after a long outage).
MAX_STEPS = 1000
# A first payment still being answered (a transfer, an unknown outcome) is waited for, and
# the expiry asked again this much later.
EXPIRY_WAITS = timedelta(hours=1)
IN_FLIGHT = ("processing", "unknown")


def run_due(session: Session, tenant: Tenant, sub: Subscription, now: datetime) -> int:
    """Do everything due on `sub` at `now`, oldest first; returns how many steps ran."""
    b = service.billing_of(session, tenant, sub)
    for steps in range(MAX_STEPS):
        current = state.state_of(sub)
        due = lifecycle.due_actions(current, now, trial_notice_sent=sub.trial_notice_sent)
        if not due:
            return steps
        if due[0] == "expire_incomplete" and _first_payment_in_flight(session, sub):
            sub.next_action_at = now + EXPIRY_WAITS
            return steps
        b = _step(session, tenant, b, due, now)
    raise RuntimeError(f"subscription {sub.id} still has due work after {MAX_STEPS} steps")


def _step(
    session: Session, tenant: Tenant, b: InvoiceBasis, due: list[str], now: datetime
) -> InvoiceBasis:
    sub, current = b.sub, state.state_of(b.sub)
    action = due[0]
    if action == "expire_incomplete":
        return expire_incomplete(session, tenant, b, now)
    if action == "cancel":
        new, happened = lifecycle.cancel(current, now, at_period_end=True)
        if current.status is not Status.TRIALING:
            last = b.current()
            inputs = b.inputs(invoicing.arrears(session, b, last))
            invoicing.issue(session, tenant, b, invoicing.CANCEL, inputs, last, now)
        state.save(session, tenant, sub, new, happened, b.terms, now)
        return b
    if action == "apply_change":
        changed = changes.apply_pending(session, tenant, b, now)
        if "renew" in due and current.pending_change_at == current.current_period_end:
            # The period that ends now is billed on the terms it was sold on.
            renewals.renew_many(session, [(changed, b)], now)
        return changed
    if action == "end_trial":
        return _end_trial(session, tenant, b, now)
    if action == "renew":
        renewals.renew_many(session, [(b, b)], now)
        return b
    if action == "resume":
        return resume(session, tenant, b, now)
    new, happened = lifecycle.trial_will_end(current, now)
    sub.trial_notice_sent = True
    state.save(session, tenant, sub, new, happened, b.terms, now)
    return b


def _open_invoices(session: Session, sub: Subscription) -> list[Invoice]:
    tenant = Tenant(sub.account_id, sub.livemode)
    found = invoices_repository.of_subscription(session, tenant, sub.id)
    return [i for i in found if i.status == "open"]


def _first_payment_in_flight(session: Session, sub: Subscription) -> bool:
    keys = [(i.account_id, i.id) for i in _open_invoices(session, sub)]
    return bool(keys and payments_repository.invoices_with_unsettled(session, keys, IN_FLIGHT))


def expire_incomplete(
    session: Session, tenant: Tenant, b: InvoiceBasis, now: datetime
) -> InvoiceBasis:
    """incomplete -> incomplete_expired: its open invoice voided (nothing more is charged),
    the checkout that made it, if still open, expired with it. It never granted anything."""
    sub = b.sub
    new, happened = lifecycle.expire_incomplete(state.state_of(sub), now)
    state.save(session, tenant, sub, new, happened, b.terms, now)
    for invoice in _open_invoices(session, sub):
        invoices.void(session, tenant, invoice.id, now)
    checkouts.subscription_expired(session, tenant, sub, now)
    return b


def _end_trial(session: Session, tenant: Tenant, b: InvoiceBasis, now: datetime) -> InvoiceBasis:
    current = state.state_of(b.sub)
    assert current.trial_end is not None
    paid = b.full_period(current.trial_end)
    new, happened = lifecycle.end_trial(current, now, paid.end, paid=True)
    state.save(session, tenant, b.sub, new, happened, b.terms, now)
    span = Period(new.current_period_start, new.current_period_end)
    coupon = service.period_coupon(session, tenant, b.sub)
    inputs = b.inputs(invoicing.advance_lines(b, span), coupon)
    invoicing.issue(session, tenant, b, invoicing.CYCLE, inputs, span, now)
    return b


def resume(session: Session, tenant: Tenant, b: InvoiceBasis, now: datetime) -> InvoiceBasis:
    """paused → active in a new period starting now: the anchor moves to the resume time."""
    sub = b.sub
    alignment = BillingAlignment(sub.alignment)
    schedule = schedule_for(now, b.terms.interval, sub.timezone, alignment)
    first = first_period(now, b.terms.interval, sub.timezone, alignment)
    new, happened = lifecycle.resume(state.state_of(sub), now, first.start, first.end)
    sub.billing_anchor = schedule.anchor
    state.save(session, tenant, sub, new, happened, b.terms, now)
    coupon = service.period_coupon(session, tenant, sub)
    inputs = b.inputs(invoicing.advance_lines(b, first), coupon)
    invoicing.issue(session, tenant, b, invoicing.RESUME, inputs, first, now)
    return b
