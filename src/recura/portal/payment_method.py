"""The page behind "update payment method" in the payment-failed, dunning and card-expiring
emails: the current method and what is overdue, then the connected processor's own way of
taking a new one (the sandbox's test cards, Stripe.js's card element, PayPal's approval),
saved as the default and tried at once on the overdue invoices."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from recura.domains.payments import methods, recovery
from recura.notifications import links
from recura.portal import access, link_visits, method_setup, pages, payment_methods
from recura.portal.access import Visit
from recura.portal.method_setup import Offer, Outcome
from recura.web import csrf

router = APIRouter()
PURPOSE: links.Purpose = "update_payment_method"
FORM = "payment_method"


def path(token: str) -> str:
    return f"/portal/payment-method/{token}"


def _offer(session: Session, request: Request, visit: Visit, token: str) -> Offer:
    return method_setup.offer(
        session, request, visit.tenant, visit.customer.id, path(token) + "/return"
    )


def _page(
    session: Session,
    request: Request,
    visit: Visit,
    token: str,
    *,
    notice: str | None = None,
    outcomes: tuple[Outcome, ...] = (),
    status: int = 200,
) -> HTMLResponse:
    tenant, customer = visit.tenant, visit.customer
    overdue = recovery.overdue(session, tenant, customer.id)
    # Once everything is paid there is nothing more to do here; otherwise offer a new method.
    offer = Offer("done") if outcomes and not overdue else _offer(session, request, visit, token)
    return pages.render(
        request,
        "payment_method.html",
        visit,
        status=status,
        current=methods.default_of(session, tenant, customer),
        overdue=overdue,
        offer=offer,
        notice=notice,
        outcomes=outcomes,
        post_url=path(token),
        method_form_key=csrf.form_key(request.app.state.secret, token, FORM),
        ask_default=False,
        stripe_js_url=request.app.state.settings.stripe_js_url,
        stripe=offer.kind == "stripe",
        sign_in_url=link_visits.sign_in_url(visit),
    )


def _visit(session: Session, request: Request, token: str) -> Visit | None:
    secret = request.app.state.secret
    return access.open_link(session, secret, token, PURPOSE, request.app.state.clock.now())


@router.get("/payment-method/{token}")
def show(token: str, request: Request) -> Response:
    with pages.unit(request) as session:
        visit = _visit(session, request, token)
        if visit is None:
            return pages.invalid(request)
        portal = link_visits.to_portal(session, request, visit, payment_methods.PATH)
        if portal is not None:
            return portal
        return _page(session, request, visit, token)


@router.post("/payment-method/{token}")
async def save(token: str, request: Request) -> HTMLResponse:
    return await pages.posted(request, token, _save)


def _save(request: Request, token: str, fields: dict[str, str]) -> HTMLResponse:
    with pages.unit(request) as session:
        visit = _visit(session, request, token)
        if visit is None:
            return pages.invalid(request)
        if not csrf.form_accepted(request, token, FORM, fields):
            return _page(session, request, visit, token, notice="page.form_expired", status=403)
        method_token = fields.get("token", "").strip()
        if not method_token:  # the card page posted without Stripe.js having run
            return _page(session, request, visit, token, notice="payment.needs_javascript")
        return _attach(session, request, visit, token, method_token)


@router.get("/payment-method/{token}/return")
def paypal_return(
    token: str,
    request: Request,
    approval_token_id: str | None = None,
    paypal: str | None = None,
) -> HTMLResponse:
    """Where PayPal sends the subscriber back, with the approved setup token (or, from
    its cancel link, `paypal=cancelled`)."""
    with pages.unit(request) as session:
        visit = _visit(session, request, token)
        if visit is None:
            return pages.invalid(request)
        if paypal == "cancelled" or not approval_token_id:
            return _page(session, request, visit, token, notice="payment.paypal_cancelled")
        # Coming back twice (a reload) saves one method: the setup token gives PayPal's
        # same payment token, which `attach` knows already.
        return _attach(session, request, visit, token, approval_token_id[:255])


def _attach(
    session: Session, request: Request, visit: Visit, token: str, method_token: str
) -> HTMLResponse:
    outcomes = method_setup.save_and_charge(
        session, visit.tenant, visit.customer, method_token, visit.locale, visit.now
    )
    if outcomes is None:
        return _page(session, request, visit, token, notice="payment.not_saved", status=422)
    return _page(session, request, visit, token, outcomes=outcomes)
