"""The page behind "reactivate" in the cancellation and win-back emails. A subscription
set to cancel at period end can be kept; a canceled one can be started again, on the same
plan, quantity and add-ons, charged now to the default payment method."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from recura.db.models import Subscription
from recura.db.unit_of_work import units_on
from recura.domains.common.errors import DomainError
from recura.domains.payments import collection, methods, recovery
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import actions, restart
from recura.domains.subscriptions import repository as subscriptions_repository
from recura.notifications import links
from recura.portal import access, method_setup, pages, payment_method
from recura.portal.access import Visit
from recura.web import csrf

log = logging.getLogger(__name__)
router = APIRouter()
PURPOSE: links.Purpose = "reactivate"
FORM = "reactivate"
RUNNING = ("active", "trialing", "past_due")


def _load(session: Session, request: Request, token: str) -> tuple[Visit, Subscription] | None:
    secret, now = request.app.state.secret, request.app.state.clock.now()
    visit = access.open_link(session, secret, token, PURPOSE, now)
    if visit is None or visit.claims.object_id is None:
        return None
    sub = subscriptions_repository.find_by_key(
        session, visit.tenant.account_id, visit.claims.object_id
    )
    if sub is None or sub.livemode != visit.tenant.livemode:
        return None
    if sub.customer_id != visit.customer.id:
        return None
    return visit, sub


def _state(session: Session, visit: Visit, sub: Subscription) -> str:
    if sub.status == "canceled":
        # Subscribed again already (here or otherwise): another would bill twice.
        return "again" if restart.twin(session, visit.tenant, sub) else "canceled"
    if sub.cancel_at_period_end and sub.status in RUNNING:
        return "ending"
    return "running" if sub.status in RUNNING else "not_here"


def _page(
    session: Session,
    request: Request,
    visit: Visit,
    sub: Subscription,
    token: str,
    *,
    state: str | None = None,
    status: int = 200,
    notice: str | None = None,
    outcomes: tuple[method_setup.Outcome, ...] = (),
) -> HTMLResponse:
    state = state or _state(session, visit, sub)
    values: dict[str, Any] = {"quote": None, "default_method": None}
    if state == "canceled":
        try:
            values["quote"] = restart.quote(session, visit.tenant, sub, visit.now)
        except DomainError as error:  # the plan archived, no longer priced in the currency
            log.info("subscription %s cannot be started again: %s", sub.id, error.detail)
            state = "not_here"
        values["default_method"] = methods.default_of(session, visit.tenant, visit.customer)
    plan = plans.plan_by_key(session, visit.tenant.account_id, sub.plan_id)
    return pages.render(
        request,
        "reactivate.html",
        visit,
        status=status,
        state=state,
        plan=plan.name,
        sub=sub,
        post_url=f"/portal/reactivate/{token}",
        form_key=csrf.form_key(request.app.state.secret, token, FORM),
        payment_url=_payment_url(request, visit),
        notice=notice,
        outcomes=outcomes,
        **values,
    )


def _payment_url(request: Request, visit: Visit) -> str:
    """A fresh link to the payment-method page: this link already proves the customer."""
    claims = visit.claims
    fresh = links.sign(
        request.app.state.secret,
        "update_payment_method",
        claims.account_id,
        claims.livemode,
        claims.customer_id,
        None,
        request.app.state.clock.now(),
    )
    return payment_method.path(fresh)


@router.get("/reactivate/{token}")
def show(token: str, request: Request) -> HTMLResponse:
    with pages.unit(request) as session:
        found = _load(session, request, token)
        if found is None:
            return pages.invalid(request)
        return _page(session, request, *found, token)


@router.post("/reactivate/{token}")
async def act(token: str, request: Request) -> HTMLResponse:
    return await pages.posted(request, token, _act)


def _act(request: Request, token: str, fields: dict[str, str]) -> HTMLResponse:
    with pages.unit(request) as session:
        found = _load(session, request, token)
        if found is None:
            return pages.invalid(request)
        visit, sub = found
        if not csrf.form_accepted(request, token, FORM, fields):
            return _page(
                session, request, visit, sub, token, notice="page.form_expired", status=403
            )
        state, action = _state(session, visit, sub), fields.get("action")
        if action == "keep" and state == "ending":
            actions.reactivate(session, visit.tenant, sub.id, visit.now)
            return _page(session, request, visit, sub, token, state="kept")
        if action == "keep" and state == "running":  # kept already: the same answer again
            return _page(session, request, visit, sub, token, state="kept")
        if action == "restart" and state in ("canceled", "again"):
            return _restart(session, request, visit, sub, token)
        return _page(session, request, visit, sub, token)


def _restart(
    session: Session, request: Request, visit: Visit, sub: Subscription, token: str
) -> HTMLResponse:
    tenant = visit.tenant
    if methods.default_of(session, tenant, visit.customer) is None:
        return _page(session, request, visit, sub, token)  # it says to add one first
    try:
        new, created = restart.restart(session, tenant, sub.id, visit.now)
    except DomainError as error:
        log.info("subscription %s not started again: %s", sub.id, error.detail)
        return _page(session, request, visit, sub, token, state="not_here")
    if not created:
        return _page(session, request, visit, sub, token, state="again")
    open_ids = [i.id for i in restart.invoices_of(session, tenant, new) if i.status == "open"]
    # The new subscription is on record (committed) before its first invoice is charged.
    paid = collection.charge_now(
        units_on(session), lambda s: recovery.start(s, tenant, open_ids, visit.now), visit.now
    )
    outcomes = tuple(method_setup.outcome(session, p, visit.locale) for p in paid)
    declined = any(o.key == "payment.declined" for o in outcomes)
    state = "pay_failed" if declined else "welcome_back"
    # A decline is told by the state, with the way to a new payment method.
    shown = tuple(o for o in outcomes if o.key != "payment.declined")
    return _page(session, request, visit, sub, token, state=state, outcomes=shown)
