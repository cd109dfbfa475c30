"""Plan, seat and add-on changes and coupons: now with proration, or at the period's end.

`plan_change` computes everything a change does; `preview_change` shows its invoice and saves
nothing, `change` carries it out. Both run the same code, so the preview is what is billed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from recura.core import interval_change, lifecycle
from recura.core.interval_change import Restart
from recura.core.invoicing import InvoiceDraft, InvoiceInput
from recura.core.lifecycle import IllegalTransition, Status
from recura.db.models import (
    Coupon,
    Plan,
    PromotionCode,
    Subscription,
    SubscriptionAddOn,
)
from recura.domains.add_ons import repository as add_ons_repository
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service as customers
from recura.domains.invoices import issuing
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import (
    intervals,
    invoicing,
    repository,
    service,
    state,
    terms,
)
from recura.domains.subscriptions.invoicing import InvoiceBasis
from recura.domains.subscriptions.schemas import ChangeRequest
from recura.domains.subscriptions.terms import Terms
from recura.ids import new_id

UPDATED = lifecycle.EventType.UPDATED.value
NOW = "now"
PERIOD_END = "period_end"


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """What a change request amounts to; `inputs` is its invoice when it applies now."""

    basis: InvoiceBasis
    now: datetime
    new: Terms
    effective: str
    effective_at: datetime
    inputs: InvoiceInput | None
    discount: tuple[Coupon, PromotionCode | None] | None
    # A change of interval made now: the cycle it restarts (None for any other change).
    cycle: Restart | None = None


def plan_change(
    session: Session, tenant: Tenant, sub: Subscription, data: ChangeRequest, now: datetime
) -> PlannedChange:
    b = service.billing_of(session, tenant, sub)
    now = customers.now_for(session, tenant, b.customer, now)
    old = b.terms
    plan, version = old.plan, old.version
    if data.plan is not None and data.plan != sub.plan_id:
        plan = lookup.referenced(session, tenant, Plan, data.plan, "plan", "/plan")
        version = plans.current_versions(session, tenant, [plan.id])[plan.id]
    quantity = old.quantity if data.quantity is None else data.quantity
    if data.add_ons is None:
        chosen = list(old.add_ons)
    else:
        chosen = service.add_ons(session, tenant, data.add_ons, "/add_ons")
    new = terms.build(session, tenant, plan, version, sub.currency, quantity, chosen)
    found = service.discount(
        session, tenant, data.coupon, data.promotion_code, plan, b.customer, now
    )
    effective = data.effective or default_timing(old, new)
    current = state.state_of(sub)
    changed = _key(new) != _key(old)
    other_interval = intervals.changes(b, new)
    if other_interval:
        # Not paused, incomplete or unpaid: the new cycle starts from a paid, running term.
        _require("cancel_at_period_end", current, "change the billing interval of")
    inputs = cycle = None
    if not changed:
        effective_at = now
    elif effective == PERIOD_END:
        _require("schedule_change", current, "schedule a change for")
        effective_at = lifecycle.term_end(current)
    else:
        effective_at = now
        _require("cancel_at_period_end", current, "change now")
        lines = []
        if current.status is not Status.TRIALING:
            if old.in_arrears or new.in_arrears:
                raise invalid("/effective", "a plan billed in arrears changes at period end")
            if other_interval:
                cycle = intervals.cycle(b, new, now)
                lines = intervals.switch_lines(session, b, new, cycle, now)
            else:
                lines = invoicing.proration_lines(b, new, now)
        elif other_interval:
            # Paid time still starts at the trial's end: the new cycle is anchored there.
            assert current.trial_end is not None
            cycle = intervals.cycle(b, new, current.trial_end)
        if plan.id != old.plan.id:
            # Moving into a plan now (an upgrade) owes its setup fee, once per customer.
            moved = invoicing.InvoiceBasis(b.account, b.customer, sub, new)
            lines += invoicing.owed_setup_fee_lines(session, moved)
        if lines or current.status is not Status.TRIALING:
            inputs = b.inputs(lines)
    return PlannedChange(b, now, new, effective, effective_at, inputs, found, cycle)


def default_timing(old: Terms, new: Terms) -> str:
    """When a change takes effect unless asked otherwise: a longer billing interval (more
    commitment) now and a shorter one at the period end; on the same interval, a cheaper
    plan at the period end and anything else now."""
    if interval_change.changes_interval(old.interval, new.interval):
        return NOW if interval_change.longer(old.interval, new.interval) else PERIOD_END
    cheaper = new.plan.id != old.plan.id and new.period_amount() < old.period_amount()
    return PERIOD_END if cheaper else NOW


def _require(action: str, current: lifecycle.SubscriptionState, verb: str) -> None:
    """`action`'s statuses are the ones a change may start from (a paid, running term)."""
    if current.status not in lifecycle.TRANSITIONS[action]:
        label = current.status.value.replace("_", " ")
        reason = f"cannot {verb} {'an' if label[0] in 'aeiou' else 'a'} {label} subscription"
        raise IllegalTransition(action, current.status, reason)


def _key(t: Terms) -> tuple[Any, ...]:
    return (t.version.id, t.quantity, tuple((a.id, q) for a, q in t.add_ons))


def preview_change(
    session: Session, tenant: Tenant, subscription_id: str, data: ChangeRequest, now: datetime
) -> tuple[PlannedChange, InvoiceDraft | None]:
    sub = service.get(session, tenant, subscription_id)
    planned = plan_change(session, tenant, sub, data, now)
    if planned.inputs is None or not invoicing.billable(planned.inputs):
        return planned, None  # what `change` issues: nothing
    return planned, issuing.draft(session, tenant, sub.customer_id, planned.inputs)


def change(
    session: Session, tenant: Tenant, subscription_id: str, data: ChangeRequest, now: datetime
) -> Subscription:
    sub = service.get_for_update(session, tenant, subscription_id)
    planned = plan_change(session, tenant, sub, data, now)
    now, b = planned.now, planned.basis
    if planned.discount is not None:
        if sub.coupon_id is not None:
            raise ConflictError(f"Subscription '{sub.id}' already has a discount.")
        service.redeem(sub, *planned.discount)
    if _key(planned.new) == _key(b.terms):
        current = state.state_of(sub)
        happened = []
        if planned.discount is not None:
            # A discount changes no list-price MRR, but the MRR the account's discount
            # setting counts: the event carries the terms with it.
            happened.append(state.event(UPDATED, now, current, change="terms"))
        state.save(session, tenant, sub, current, happened, b.terms, now)
        return sub
    current = state.state_of(sub)
    if planned.effective == PERIOD_END:
        sub.pending_change = {
            "id": new_id("subscription_change"),
            "plan": planned.new.plan.id,
            "plan_version": planned.new.version.id,
            "quantity": str(planned.new.quantity),
            "add_ons": planned.new.add_on_quantities(),
        }
        new, happened = lifecycle.schedule_change(
            current, now, sub.pending_change["id"], planned.effective_at
        )
        state.save(session, tenant, sub, new, happened, b.terms, now)
        return sub
    new, happened = lifecycle.clear_change(current, now)
    span = None
    if planned.cycle is not None:
        sub.billing_anchor = planned.cycle.schedule.anchor
        if current.status is not Status.TRIALING:
            new = interval_change.restarted_state(new, planned.cycle)
            span = planned.cycle.first
    switched = switch_terms(session, tenant, b, planned.new, now)
    happened.append(
        state.event(UPDATED, now, new, change="terms_changed", plan=planned.new.plan.id)
    )
    state.save(session, tenant, sub, new, happened, planned.new, now)
    if planned.inputs is not None:
        invoicing.issue(session, tenant, switched, invoicing.UPDATE, planned.inputs, span, now)
    return sub


def switch_terms(
    session: Session, tenant: Tenant, b: InvoiceBasis, new: Terms, now: datetime
) -> InvoiceBasis:
    """Put `new` on the subscription row and its add-ons; returns the billing on new terms."""
    sub = b.sub
    sub.plan_id, sub.plan_version_id, sub.quantity = new.plan.id, new.version.id, new.quantity
    old = b.terms.interval
    if sub.discount_periods_left is not None and interval_change.changes_interval(
        old, new.interval
    ):
        left = interval_change.discount_periods_after(sub.discount_periods_left, old, new.interval)
        if left == 0:
            sub.coupon_id = sub.promotion_code_id = None
        sub.discount_periods_left = left or None
    sub.interval_unit, sub.interval_count = new.plan.interval_unit, new.plan.interval_count
    repository.delete_add_ons(session, tenant, sub.id)
    for add_on, quantity in new.add_ons:
        session.add(
            SubscriptionAddOn(
                id=new_id("subscription_add_on"),
                **tenant.row_keys(),
                subscription_id=sub.id,
                add_on_id=add_on.id,
                quantity=quantity,
                created_at=now,
            )
        )
    session.flush()
    return InvoiceBasis(b.account, b.customer, sub, new)


def pending_billing(session: Session, tenant: Tenant, b: InvoiceBasis) -> InvoiceBasis:
    """The billing on the terms of the scheduled change, the subscription left as it is
    (a change of interval restarts the cycle where it takes effect)."""
    change, at = b.sub.pending_change, b.sub.pending_change_at
    assert change is not None
    assert at is not None
    plan = plans.plan_by_key(session, tenant.account_id, change["plan"])
    version = plans.version_by_key(session, tenant.account_id, change["plan_version"])
    ids = [a["add_on"] for a in change["add_ons"]]
    found = {a.id: a for a in add_ons_repository.by_ids(session, tenant, ids)}
    chosen = [(found[a["add_on"]], Decimal(a["quantity"])) for a in change["add_ons"]]
    new = terms.build(
        session, tenant, plan, version, b.sub.currency, Decimal(change["quantity"]), chosen
    )
    return intervals.moved(b, new, at)


def apply_pending(session: Session, tenant: Tenant, b: InvoiceBasis, now: datetime) -> InvoiceBasis:
    """Carry out the scheduled change (no proration: it is due at a period boundary)."""
    sub, moved = b.sub, pending_billing(session, tenant, b)
    new, plan = moved.terms, moved.terms.plan
    if moved.anchor is not None:
        sub.billing_anchor = moved.anchor  # another interval: a cycle from this change
    current, happened = lifecycle.clear_change(state.state_of(sub), now)
    switched = switch_terms(session, tenant, b, new, now)
    happened = [
        lifecycle.Event(e.type, e.at, {**e.data, "change": "change_applied", "plan": plan.id})
        for e in happened
    ]
    state.save(session, tenant, sub, current, happened, new, now)
    return switched
