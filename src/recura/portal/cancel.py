"""Cancelling from the portal in at most two clicks, honestly.

Click one ("Cancel subscription" on the overview's card) opens a page with the reason
question (skippable) and the "Cancel subscription" button. When a retention offer fits
(`offers.offer_for`), it is on that same page with what it means in money, and the cancel
button reads "No thanks, cancel": declining is that one click and cancels. Click two
cancels at the period end and shows the date access ends, with "Keep my subscription"
until then. The offer counts as shown when the page shows it (`show_offer`): a reload or
a later visit shows none. The reason and the offer's answer are recorded by
`cancellations.service` when the subscriber answers, with the confirmation email.
"""

from __future__ import annotations

import hashlib
import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.core.lifecycle import IllegalTransition
from recura.domains.cancellations import offers, reasons
from recura.domains.cancellations import repository as cancellation_flows
from recura.domains.cancellations import service as cancellations
from recura.domains.cancellations.offers import Offer
from recura.domains.cancellations.schemas import REASON_TEXT_MAX
from recura.domains.common.errors import DomainError
from recura.domains.subscriptions import actions, state
from recura.portal import own, pages
from recura.portal.own import Own

log = logging.getLogger(__name__)
router = APIRouter()
FORM = "cancel"
KEEP = "keep"


def offer_digest(offer: Offer | None) -> str:
    """What the page showed, so "take it" takes that offer and no other."""
    if offer is None:
        return ""
    terms = offer.terms.model_dump_json(exclude={"resume_at", "effective_at"})
    return hashlib.sha256(terms.encode()).hexdigest()[:24]


@router.get("/subscriptions/{subscription_id}/cancel")
def ask(subscription_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id)
        if not isinstance(found, Own):
            return found
        if found.sub.cancel_at_period_end and found.sub.status != "canceled":
            return RedirectResponse(own.path(found.sub, "cancelled"), status_code=303)
        return _ask(session, request, found, showing=True)


def _ask(
    session: Session,
    request: Request,
    found: Own,
    *,
    reason: str = "",
    reason_text: str = "",
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
    showing: bool = False,
) -> Response:
    """The page; `showing`: a visit, which shows an offer not shown before (and records
    it shown), rather than the same answer asked again, which shows the one waiting."""
    visitor, sub = found.visitor, found.sub
    leaving = offers.can_leave(sub)
    offer = None
    who = visitor.customer.id
    if leaving and showing:
        now = request.app.state.clock.now()
        offer = cancellations.show_offer(session, visitor.tenant, sub.id, now, customer_id=who)
    elif leaving:
        offer = cancellations.waiting_offer(session, visitor.tenant, sub.id, customer_id=who)
    listed = [
        (r["code"], reasons.label(visitor.account, r["code"], visitor.locale))
        for r in reasons.reasons_of(visitor.account)
    ]
    return pages.PAGES.render(
        request,
        "cancel.html",
        visitor.frame(),
        status,
        sub=sub,
        plan_name=found.plan_name,
        leaving=leaving,
        reasons=listed,
        reason=reason,
        reason_text=reason_text,
        text_max=REASON_TEXT_MAX,
        offer=offer,
        offer_key=offer_digest(offer),
        ends_at=lifecycle.term_end(state.state_of(sub)),
        error=error,
        notice=notice,
        post_url=own.path(sub, "cancel"),
    )


@router.post("/subscriptions/{subscription_id}/cancel")
async def answer(subscription_id: str, request: Request) -> Response:
    return await own.posted(request, subscription_id, _answer)


def _answer(request: Request, subscription_id: str, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id)
        if not isinstance(found, Own):
            return found
        visitor, sub = found.visitor, found.sub
        reason = fields.get("reason", "").strip()[:64]
        text = fields.get("reason_text", "").strip()

        def again(
            error: str | None = None, notice: str | None = None, status: int = 200
        ) -> Response:
            shown = text[:REASON_TEXT_MAX]
            return _ask(
                session,
                request,
                found,
                reason=reason,
                reason_text=shown,
                error=error,
                notice=notice,
                status=status,
            )

        if not own.accepted(request, found, FORM, fields):
            return again(notice="page.form_expired", status=403)
        if sub.cancel_at_period_end and sub.status != "canceled":
            return _to_cancelled(sub.id)  # a second click: done already
        codes = [r["code"] for r in reasons.reasons_of(visitor.account)]
        if reason and reason not in codes:
            return again(error="cancel.bad_reason", status=422)
        if len(text) > REASON_TEXT_MAX:
            return again(error="cancel.too_long", status=422)
        now, who = request.app.state.clock.now(), visitor.customer.id
        try:
            flow = cancellations.record_reason(
                session,
                visitor.tenant,
                sub.id,
                now,
                customer_id=who,
                reason=reason or None,
                reason_text=text or None,
            )
            shown = fields.get("offer", "")
            if fields.get("action") == "accept":
                if flow.offer is None or offer_digest(flow.offer) != shown:
                    # The offer is not the one the page showed (or gone): show it again.
                    return again(notice="cancel.offer_changed")
                cancellations.accept_offer(
                    session, visitor.tenant, flow.feedback.id, now, customer_id=who
                )
                return RedirectResponse(own.path(sub, "cancel/kept"), status_code=303)
            if flow.offer is not None:
                cancellations.decline_offer_and_cancel(
                    session, visitor.tenant, flow.feedback.id, now, customer_id=who
                )
            else:
                cancellations.cancel(
                    session,
                    visitor.tenant,
                    sub.id,
                    now,
                    customer_id=who,
                    reason=reason or None,
                    reason_text=text or None,
                )
        except (DomainError, IllegalTransition) as error:
            log.info("portal cancellation of %s refused: %s", sub.id, error)
            return again(error="cancel.not_now", status=409)
        return _to_cancelled(sub.id)


def _to_cancelled(subscription_id: str) -> Response:
    return RedirectResponse(f"/portal/subscriptions/{subscription_id}/cancelled", status_code=303)


@router.get("/subscriptions/{subscription_id}/cancelled")
def cancelled(subscription_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id)
        if not isinstance(found, Own):
            return found
        sub = found.sub
        if not (sub.cancel_at_period_end or sub.status == "canceled"):
            return RedirectResponse("/portal", status_code=303)
        return _outcome(request, found, "ending" if sub.status != "canceled" else "ended")


@router.get("/subscriptions/{subscription_id}/cancel/kept")
def kept(subscription_id: str, request: Request) -> Response:
    """After an offer was taken: what it does, from the flow's record."""
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id)
        if not isinstance(found, Own):
            return found
        row = cancellation_flows.latest(session, found.visitor.tenant, found.sub.id)
        if row is None or row.outcome != cancellations.ACCEPTED:
            return RedirectResponse("/portal", status_code=303)
        terms = cancellations.feedback_out(row).offer
        accepted_plan = None
        if terms is not None and terms.plan:
            accepted_plan = own.plan_name_of(session, found.visitor.tenant, terms.plan)
        return pages.PAGES.render(
            request,
            "cancel_done.html",
            found.visitor.frame(),
            state="offer_taken",
            sub=found.sub,
            plan_name=found.plan_name,
            terms=terms,
            offer_plan=accepted_plan,
            ends_at=None,
            email=found.visitor.customer.email,
            keep_url=own.path(found.sub, "reactivate"),
        )


@router.post("/subscriptions/{subscription_id}/reactivate")
async def keep(subscription_id: str, request: Request) -> Response:
    return await own.posted(request, subscription_id, _keep)


def _keep(request: Request, subscription_id: str, fields: dict[str, str]) -> Response:
    """ "Keep my subscription": one that is set to end runs on."""
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id)
        if not isinstance(found, Own):
            return found
        sub = found.sub
        if not own.accepted(request, found, KEEP, fields):
            return RedirectResponse("/portal", status_code=303)
        if sub.cancel_at_period_end and sub.status != "canceled":
            try:
                actions.reactivate(session, found.visitor.tenant, sub.id, found.visitor.now)
            except IllegalTransition as error:
                log.info("portal reactivation of %s refused: %s", sub.id, error)
                return _outcome(request, found, "cannot_keep", status=409)
        if sub.status == "canceled":
            return _outcome(request, found, "ended")
        return _outcome(request, found, "kept")


def _outcome(request: Request, found: Own, outcome: str, status: int = 200) -> Response:
    sub = found.sub
    return pages.PAGES.render(
        request,
        "cancel_done.html",
        found.visitor.frame(),
        status,
        state=outcome,
        sub=sub,
        plan_name=found.plan_name,
        terms=None,
        offer_plan=None,
        ends_at=sub.ended_at or lifecycle.term_end(state.state_of(sub)),
        email=found.visitor.customer.email,
        keep_url=own.path(sub, "reactivate"),
    )
