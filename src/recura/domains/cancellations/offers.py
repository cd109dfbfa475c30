"""The one retention offer a subscription may see now, and what it means in money.

An offer is worked out from the account's setting against this subscription when the
subscriber is about to leave: the coupon must be redeemable on its plan and lower its next
invoice, the pause must be one the subscription can take, the plan must be of the same
product and cheaper. Amounts are the next period's invoice total, tax included, computed
with the same `core` calculation billing runs; nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.core.invoicing import LineInput, build_invoice
from recura.core.lifecycle import IllegalTransition
from recura.core.periods import IntervalUnit, Period, add_interval
from recura.db.models import Coupon, Subscription
from recura.domains.cancellations import repository
from recura.domains.common.errors import DomainError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import repository as coupons_repository
from recura.domains.coupons import service as coupons
from recura.domains.customers import service as customers
from recura.domains.events.payloads import RetentionOfferTerms
from recura.domains.plans import repository as plans_repository
from recura.domains.subscriptions import changes, invoicing, service, state
from recura.domains.subscriptions.invoicing import InvoiceBasis
from recura.domains.subscriptions.schemas import ChangeRequest

# Where a subscription may be when it is offered anything: one it could set to cancel.
CANCELABLE = lifecycle.TRANSITIONS["cancel_at_period_end"]


@dataclass(frozen=True, slots=True)
class Offer:
    """What the page shows: the terms (ids and amounts) and the names they refer to."""

    terms: RetentionOfferTerms
    coupon_name: str | None = None
    plan_name: str | None = None


def subscription(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    customer_id: str | None,
    *,
    lock: bool = False,
) -> Subscription:
    """The subscription, which must be `customer_id`'s when one is given (a subscriber
    acting in the portal): another customer's is not found, as another tenant's is."""
    get = service.get_for_update if lock else service.get
    sub = get(session, tenant, subscription_id)
    if customer_id is not None and sub.customer_id != customer_id:
        raise NotFoundError("subscription", subscription_id)
    return sub


def can_leave(sub: Subscription) -> bool:
    """Whether the subscription can be set to cancel at its period end now."""
    return lifecycle.Status(sub.status) in CANCELABLE and not sub.cancel_at_period_end


def offer_for(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    now: datetime,
    *,
    customer_id: str | None,
) -> Offer | None:
    """The offer the subscription may see now; None when the account has none, it was
    shown before, or it does not apply to this subscription."""
    sub = subscription(session, tenant, subscription_id, customer_id)
    return applicable(session, tenant, sub, now)


def applicable(session: Session, tenant: Tenant, sub: Subscription, now: datetime) -> Offer | None:
    """`offer_for` of a subscription already read (and, to show it, locked)."""
    b = service.billing_of(session, tenant, sub)
    setting = b.account.retention_offer
    if setting is None or not can_leave(sub) or repository.offered(session, tenant, sub.id):
        return None
    now = customers.now_for(session, tenant, b.customer, now)
    try:
        if setting["kind"] == "coupon":
            return _coupon(session, tenant, b, setting["coupon_id"], now)
        if setting["kind"] == "pause":
            return _pause(session, tenant, b, int(setting["months"]), now)
        return _plan(session, tenant, b, setting["plan_id"], now)
    except (DomainError, IllegalTransition):
        return None  # the setting does not fit this subscription (or no longer exists)


def resume_at(sub: Subscription, months: int, now: datetime) -> datetime:
    """When a pause of `months` starting `now` ends, in the subscription's time zone."""
    return add_interval(now, IntervalUnit.MONTH, months, sub.timezone)


def _coupon(
    session: Session, tenant: Tenant, b: InvoiceBasis, coupon_id: str, now: datetime
) -> Offer | None:
    sub = b.sub
    coupon = coupons_repository.get_coupon(session, tenant, coupon_id)
    if coupon is None or sub.coupon_id is not None:
        return None  # one discount at a time
    coupons.resolve_discount(
        session,
        tenant,
        coupon_id=coupon.id,
        plan_id=sub.plan_id,
        customer_id=sub.customer_id,
        now=now,
    )
    fees = _fees(b, _next_period(b))
    regular, offered = _total(b, fees, None), _total(b, fees, coupon)
    if offered >= regular:
        return None  # no saving in this currency: nothing to offer
    found = [a["amount"] for a in coupon.amounts_off if a["currency"] == sub.currency]
    terms: dict[str, Any] = {
        "coupon": coupon.id,
        "periods": {"once": 1, "repeating": coupon.duration_in_periods}.get(coupon.duration),
    }
    if coupon.percent_off is not None:
        terms["percent_off"] = float(coupon.percent_off)
    if found:
        terms["amount_off"] = int(found[0])
    return Offer(_terms("coupon", sub, regular, offered, terms), coupon_name=coupon.name)


def _pause(
    session: Session, tenant: Tenant, b: InvoiceBasis, months: int, now: datetime
) -> Offer | None:
    sub = b.sub
    until = resume_at(sub, months, now)
    lifecycle.pause(state.state_of(sub), now, until)  # refuses what actions.pause would
    unused = invoicing.unused_credit_lines(b, now)
    credit = -build_invoice(b.inputs(unused)).total if unused else 0
    regular = _total(b, _fees(b, _next_period(b)), _current_coupon(session, tenant, sub))
    terms = {"months": months, "resume_at": until, "credit": credit}
    return Offer(_terms("pause", sub, regular, 0, terms))


def _plan(
    session: Session, tenant: Tenant, b: InvoiceBasis, plan_id: str, now: datetime
) -> Offer | None:
    sub = b.sub
    plan = plans_repository.get_plan(session, tenant, plan_id)
    if plan is None or plan.archived_at is not None or plan.id == sub.plan_id:
        return None
    if plan.product_id != b.terms.plan.product_id or sub.pending_change is not None:
        return None  # another product, or a change already waits for the period end
    request = ChangeRequest(plan=plan.id, effective="period_end")
    planned = changes.plan_change(session, tenant, sub, request, now)
    if planned.new.period_amount() >= b.terms.period_amount():
        return None  # by price, not by name: only a cheaper plan is an offer
    span, coupon = _next_period(b), _current_coupon(session, tenant, sub)
    moved = InvoiceBasis(b.account, b.customer, sub, planned.new)
    regular, offered = _total(b, _fees(b, span), coupon), _total(moved, _fees(moved, span), coupon)
    terms = {"plan": plan.id, "effective_at": planned.effective_at}
    return Offer(_terms("plan", sub, regular, offered, terms), plan_name=plan.name)


def _terms(
    kind: str, sub: Subscription, regular: int, offered: int, extra: dict[str, Any]
) -> RetentionOfferTerms:
    return RetentionOfferTerms(
        kind=kind,
        currency=sub.currency,
        regular_amount=regular,
        offer_amount=offered,
        **extra,
    )


def _next_period(b: InvoiceBasis) -> Period:
    """The period the next invoice bills: the one after the current term."""
    return b.full_period(lifecycle.term_end(state.state_of(b.sub)))


def _fees(b: InvoiceBasis, span: Period) -> list[LineInput]:
    """A period's fees, billed in advance or in arrears (usage is not known ahead)."""
    return invoicing.advance_lines(b, span) or invoicing.arrears_lines(b, span, ())


def _total(b: InvoiceBasis, fees: list[LineInput], coupon: Coupon | None) -> int:
    return build_invoice(b.inputs(fees, coupon)).total


def _current_coupon(session: Session, tenant: Tenant, sub: Subscription) -> Coupon | None:
    return service.period_coupon(session, tenant, sub, consume=False)
