"""A subscriber's way out, in at most two steps: a reason (skippable), then at most one
retention offer, taken or declined; declining cancels at the period end.

Every function takes the subscription's lock first, so two tabs (or a retry) never show
two offers or answer one twice; every writer of a flow holds that lock. `customer_id` is
the subscriber acting in the portal (another customer's subscription is not found), or
None for the merchant. Nothing here commits; events (and through them emails and
webhooks) are written in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.db.models import CancellationFeedback, Subscription
from recura.domains.accounts import service as accounts
from recura.domains.cancellations import offers, reasons, repository
from recura.domains.cancellations.offers import Offer
from recura.domains.cancellations.schemas import REASON_TEXT_MAX, CancellationFeedbackOut
from recura.domains.common.errors import ConflictError, NotFoundError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import repository as coupons_repository
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.events.payloads import RetentionOfferTerms
from recura.domains.funnels import counters
from recura.domains.plans import repository as plans_repository
from recura.domains.subscriptions import actions, changes, state
from recura.domains.subscriptions.schemas import ChangeRequest
from recura.ids import new_id

PENDING, ACCEPTED, DECLINED, NOT_OFFERED = "pending", "accepted", "declined", "not_offered"


@dataclass(frozen=True, slots=True)
class Flow:
    """A cancellation flow under way: its row and the offer to show (None: none)."""

    feedback: CancellationFeedback
    offer: Offer | None


@dataclass(frozen=True, slots=True)
class Accepted:
    """An offer taken: the subscription as it is now, and the offer as it was applied (a
    pause's `resume_at` counts from the acceptance)."""

    feedback: CancellationFeedback
    subscription: Subscription
    terms: RetentionOfferTerms


@dataclass(frozen=True, slots=True)
class Cancellation:
    feedback: CancellationFeedback
    subscription: Subscription
    access_ends_at: datetime


def record_reason(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    now: datetime,
    *,
    customer_id: str | None,
    reason: str | None = None,
    reason_text: str | None = None,
) -> Flow:
    """Start (or, on a retry, continue) the flow: store the reason and decide the offer to
    show, which is then shown: a later flow of this subscription gets none."""
    sub = offers.subscription(session, tenant, subscription_id, customer_id, lock=True)
    account = accounts.get_account(session, tenant.account_id)
    reasons.check_reason(account, reason, "/reason")
    text = _text(reason_text)
    if not offers.can_leave(sub):
        raise ConflictError(f"Subscription '{sub.id}' cannot be set to cancel.")
    now = _now(session, tenant, sub, now)
    latest = repository.latest(session, tenant, sub.id)
    if latest is not None and latest.outcome == PENDING and not latest.canceled:
        _answer_reason(session, latest, reason, text, now)
        return Flow(latest, _shown(session, tenant, latest))
    offer = offers.applicable(session, tenant, sub, now)
    row = _new(tenant, sub, reason, text, offer, now)
    session.add(row)
    counters.made(session, row)
    session.flush()
    return Flow(row, offer)


def show_offer(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    now: datetime,
    *,
    customer_id: str | None,
) -> Offer | None:
    """The offer to show now, recorded as shown as it is shown: the flow starts, waiting
    for its answer, so a reload or a later visit shows no offer (one flow in a
    subscription's life shows one), while the page that showed it still takes its answer
    (`record_reason` continues the flow; leaving declines it). None: no offer to show."""
    sub = offers.subscription(session, tenant, subscription_id, customer_id, lock=True)
    if not offers.can_leave(sub):
        return None
    now = _now(session, tenant, sub, now)
    offer = offers.applicable(session, tenant, sub, now)  # none once any flow offered one
    if offer is None:
        return None
    row = _new(tenant, sub, None, None, offer, now)
    session.add(row)
    counters.made(session, row)
    session.flush()
    return offer


def waiting_offer(
    session: Session, tenant: Tenant, subscription_id: str, *, customer_id: str | None
) -> Offer | None:
    """The offer shown and still waiting for its answer: the page answering it shows it
    again when it must be corrected (a reason too long, a form expired)."""
    sub = offers.subscription(session, tenant, subscription_id, customer_id)
    latest = repository.latest(session, tenant, sub.id)
    if latest is None or latest.outcome != PENDING or latest.canceled:
        return None
    return _shown(session, tenant, latest)


def accept_offer(
    session: Session, tenant: Tenant, feedback_id: str, now: datetime, *, customer_id: str | None
) -> Accepted:
    """Apply the offer shown: the coupon on the subscription for its duration, the pause
    until its resume date, or the cheaper plan from the period end. A retry returns what
    the first did."""
    row, sub = _locked(session, tenant, feedback_id, customer_id)
    if row.outcome == ACCEPTED:
        return Accepted(row, sub, _offer_terms(row))
    if row.outcome != PENDING:
        raise ConflictError(f"Cancellation flow '{row.id}' has no offer waiting for an answer.")
    terms = _offer_terms(row)
    at = _now(session, tenant, sub, now)
    if terms.kind == "coupon":
        changes.change(session, tenant, sub.id, ChangeRequest(coupon=terms.coupon), now)
    elif terms.kind == "pause":
        assert terms.months is not None
        until = offers.resume_at(sub, terms.months, at)
        actions.pause(session, tenant, sub.id, now, until)
        terms = RetentionOfferTerms.model_validate({**(row.offer or {}), "resume_at": until})
        row.offer = terms.json_data()
    else:
        request = ChangeRequest(plan=terms.plan, effective=changes.PERIOD_END)
        changes.change(session, tenant, sub.id, request, now)
    _answer(session, row, ACCEPTED, at)
    _record(session, tenant, payloads.RetentionOfferAccepted, row, sub, at)
    return Accepted(row, sub, terms)


def decline_offer_and_cancel(
    session: Session, tenant: Tenant, feedback_id: str, now: datetime, *, customer_id: str | None
) -> Cancellation:
    """Decline the offer shown and cancel at the period end; a retry returns what the
    first did."""
    row, sub = _locked(session, tenant, feedback_id, customer_id)
    if row.outcome == DECLINED and row.canceled and row.access_ends_at is not None:
        return Cancellation(row, sub, row.access_ends_at)
    if row.outcome != PENDING:
        raise ConflictError(f"Cancellation flow '{row.id}' has no offer waiting for an answer.")
    return _cancel(session, tenant, sub, row, now, at_period_end=True, prorate=False)


def cancel(
    session: Session,
    tenant: Tenant,
    subscription_id: str,
    now: datetime,
    *,
    customer_id: str | None,
    reason: str | None = None,
    reason_text: str | None = None,
    at_period_end: bool = True,
    prorate: bool = False,
) -> Cancellation:
    """Cancel with the reason given, at the period end unless told otherwise; an offer
    still waiting for an answer counts as declined. Returns when access ends."""
    sub = offers.subscription(session, tenant, subscription_id, customer_id, lock=True)
    account = accounts.get_account(session, tenant.account_id)
    reasons.check_reason(account, reason, "/reason")
    text = _text(reason_text)
    at = _now(session, tenant, sub, now)
    latest = repository.latest(session, tenant, sub.id)
    if latest is not None and latest.canceled and sub.cancel_at_period_end and at_period_end:
        assert latest.access_ends_at is not None
        return Cancellation(latest, sub, latest.access_ends_at)  # already done: a retry
    row = latest
    if row is None or row.canceled or row.outcome not in (PENDING, NOT_OFFERED):
        row = _new(tenant, sub, reason, text, None, at)
        session.add(row)
        counters.made(session, row)
    else:
        _answer_reason(session, row, reason, text, at)
    return _cancel(session, tenant, sub, row, now, at_period_end=at_period_end, prorate=prorate)


def _cancel(
    session: Session,
    tenant: Tenant,
    sub: Subscription,
    row: CancellationFeedback,
    now: datetime,
    *,
    at_period_end: bool,
    prorate: bool,
) -> Cancellation:
    actions.cancel(session, tenant, sub.id, now, at_period_end=at_period_end, prorate=prorate)
    at = _now(session, tenant, sub, now)
    ends = sub.ended_at or lifecycle.term_end(state.state_of(sub))
    declined = row.outcome == PENDING
    if declined:
        _answer(session, row, DECLINED, at)
    was = counters.counted(row)
    row.canceled, row.access_ends_at, row.updated_at = True, ends, at
    counters.changed(session, row, was)
    session.flush()
    if declined:
        _record(session, tenant, payloads.RetentionOfferDeclined, row, sub, at)
    _record(session, tenant, payloads.SubscriptionCancellationFeedback, row, sub, at)
    return Cancellation(row, sub, ends)


# Reading


def get(
    session: Session, tenant: Tenant, feedback_id: str, *, customer_id: str | None = None
) -> CancellationFeedback:
    row = repository.get(session, tenant, feedback_id)
    if row is None or (customer_id is not None and row.customer_id != customer_id):
        raise NotFoundError("cancellation feedback", feedback_id)
    return row


def page(session: Session, tenant: Tenant, **filters: Any) -> Page[CancellationFeedback]:
    return repository.page(session, tenant, **filters)


def feedback_out(row: CancellationFeedback) -> CancellationFeedbackOut:
    return CancellationFeedbackOut(
        id=row.id,
        subscription=row.subscription_id,
        customer=row.customer_id,
        reason=row.reason,
        reason_text=row.reason_text,
        offer=_offer_terms(row) if row.offer else None,
        outcome=row.outcome,
        canceled=row.canceled,
        access_ends_at=row.access_ends_at,
        answered_at=row.answered_at,
        livemode=row.livemode,
        created_at=row.created_at,
    )


# Pieces


def _locked(
    session: Session, tenant: Tenant, feedback_id: str, customer_id: str | None
) -> tuple[CancellationFeedback, Subscription]:
    """The flow and its subscription, the subscription locked and the flow read after."""
    found = get(session, tenant, feedback_id, customer_id=customer_id)
    sub = offers.subscription(session, tenant, found.subscription_id, customer_id, lock=True)
    row = repository.get(session, tenant, feedback_id, fresh=True)
    assert row is not None
    return row, sub


def _now(session: Session, tenant: Tenant, sub: Subscription, now: datetime) -> datetime:
    """The customer's present (a test clock's time for a customer on one)."""
    customer = customers_repository.by_key(session, tenant.account_id, sub.customer_id)
    return customers.now_for(session, tenant, customer, now)


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > REASON_TEXT_MAX:
        raise invalid("/reason_text", f"at most {REASON_TEXT_MAX} characters")
    return text or None


def _new(
    tenant: Tenant,
    sub: Subscription,
    reason: str | None,
    text: str | None,
    offer: Offer | None,
    now: datetime,
) -> CancellationFeedback:
    return CancellationFeedback(
        id=new_id("cancellation_feedback"),
        **tenant.row_keys(),
        subscription_id=sub.id,
        customer_id=sub.customer_id,
        reason=reason,
        reason_text=text,
        offer_kind=offer.terms.kind if offer else None,
        offer=offer.terms.json_data() if offer else None,
        outcome=PENDING if offer else NOT_OFFERED,
        canceled=False,
        access_ends_at=None,
        answered_at=None,
        created_at=now,
        updated_at=now,
    )


def _answer_reason(
    session: Session,
    row: CancellationFeedback,
    reason: str | None,
    text: str | None,
    now: datetime,
) -> None:
    """A later answer in the same flow replaces the earlier; one left out keeps it. The
    flow's daily count moves with its reason."""
    if reason is not None:
        was = counters.counted(row)
        row.reason = reason
        counters.changed(session, row, was)
    if text is not None:
        row.reason_text = text
    row.updated_at = now


def _answer(session: Session, row: CancellationFeedback, outcome: str, now: datetime) -> None:
    was = counters.counted(row)
    row.outcome, row.answered_at, row.updated_at = outcome, now, now
    counters.changed(session, row, was)


def _offer_terms(row: CancellationFeedback) -> RetentionOfferTerms:
    if row.offer is None:
        raise ConflictError(f"Cancellation flow '{row.id}' showed no offer.")
    return RetentionOfferTerms.model_validate(row.offer)


def _shown(session: Session, tenant: Tenant, row: CancellationFeedback) -> Offer | None:
    """The offer the flow showed, as the page shows it again."""
    if row.offer is None:
        return None
    terms = _offer_terms(row)
    coupon = coupons_repository.get_coupon(session, tenant, terms.coupon) if terms.coupon else None
    plan = plans_repository.get_plan(session, tenant, terms.plan) if terms.plan else None
    return Offer(terms, coupon.name if coupon else None, plan.name if plan else None)


def _record(
    session: Session,
    tenant: Tenant,
    kind: type[payloads.CancellationFeedbackData],
    row: CancellationFeedback,
    sub: Subscription,
    at: datetime,
) -> None:
    payload = kind(
        id=row.id,
        subscription=row.subscription_id,
        customer=row.customer_id,
        plan=sub.plan_id,
        reason=row.reason,
        reason_text=row.reason_text,
        offer=_offer_terms(row) if row.offer else None,
        outcome=row.outcome,
        canceled=row.canceled,
        access_ends_at=row.access_ends_at,
    )
    events.record(session, tenant, payload, at)
