"""The page behind "update payment method" in the payment-failed, dunning and card-expiring
emails: the current method and what is overdue, then the connected processor's own way of
taking a new one (the sandbox's test cards, Stripe.js's card element, PayPal's approval),
saved as the default and tried at once on the overdue invoices."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from recura.db.models import Payment
from recura.db.unit_of_work import units_on
from recura.domains.common.errors import DomainError
from recura.domains.invoices import repository as invoices_repository
from recura.domains.payments import collection, methods, processors, recovery
from recura.gateways.base import GatewayError
from recura.notifications import links, rendering
from recura.portal import access, pages
from recura.portal.access import Visit

log = logging.getLogger(__name__)
router = APIRouter()
PURPOSE: links.Purpose = "update_payment_method"
FORM = "payment_method"


def path(token: str) -> str:
    return f"/portal/payment-method/{token}"


@dataclass(frozen=True, slots=True)
class Offer:
    """How this page takes a new method: `kind` is the processor, or `unavailable`."""

    kind: str
    test_tokens: tuple[str, ...] = ()
    client_secret: str | None = None
    publishable_key: str | None = None
    approve_url: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one overdue invoice's charge: a text key and its values."""

    key: str
    values: dict[str, str] = field(default_factory=dict)


def _offer(session: Session, request: Request, visit: Visit, token: str) -> Offer:
    tenant = visit.tenant
    try:
        name = processors.default_gateway(session, tenant)
        publishable_key = None
        if name == "stripe":
            connection = processors.connection(session, tenant, "stripe")
            publishable_key = connection.config.get("publishable_key") if connection else None
            if not publishable_key:
                return Offer("unavailable")  # Stripe.js cannot start without it
        return_url = request.app.state.settings.public_url.rstrip("/") + path(token) + "/return"
        name, setup = methods.start_setup(session, tenant, visit.customer.id, name, return_url)
    except (DomainError, GatewayError):
        log.exception("no way to take a payment method for customer %s", visit.customer.id)
        return Offer("unavailable")
    return Offer(
        name,
        test_tokens=setup.test_tokens,
        client_secret=setup.client_secret,
        publishable_key=publishable_key,
        approve_url=setup.approve_url,
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
        form_key=access.form_key(request.app.state.secret, token, FORM),
        stripe_js_url=request.app.state.settings.stripe_js_url,
        stripe=offer.kind == "stripe",
    )


def _visit(session: Session, request: Request, token: str) -> Visit | None:
    secret = request.app.state.secret
    return access.open_link(session, secret, token, PURPOSE, request.app.state.clock.now())


@router.get("/payment-method/{token}")
def show(token: str, request: Request) -> HTMLResponse:
    with pages.unit(request) as session:
        visit = _visit(session, request, token)
        if visit is None:
            return pages.invalid(request)
        return _page(session, request, visit, token)


@router.post("/payment-method/{token}")
async def save(token: str, request: Request) -> HTMLResponse:
    return await pages.posted(request, token, _save)


def _save(request: Request, token: str, fields: dict[str, str]) -> HTMLResponse:
    with pages.unit(request) as session:
        visit = _visit(session, request, token)
        if visit is None:
            return pages.invalid(request)
        if not access.form_accepted(request, token, FORM, fields):
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
    tenant, customer, now = visit.tenant, visit.customer, visit.now
    try:
        name = processors.default_gateway(session, tenant)
        method = methods.attach(session, tenant, customer.id, name, method_token, True, now)
    except DomainError as error:
        log.info("customer %s: payment method not saved: %s", customer.id, error.detail)
        return _page(session, request, visit, token, notice="payment.not_saved", status=422)
    # The method is saved (committed) before the overdue invoices are charged on it.
    paid = collection.charge_now(
        units_on(session), lambda s: recovery.start_overdue(s, tenant, customer.id, now), now
    )
    outcomes = [Outcome("payment.saved", {"method": pages.describe(method, visit.locale)})]
    outcomes += [outcome(session, payment, visit.locale) for payment in paid]
    return _page(session, request, visit, token, outcomes=tuple(outcomes))


def outcome(session: Session, payment: Payment, locale: str) -> Outcome:
    invoice = invoices_repository.by_key(session, payment.account_id, payment.invoice_id)
    values = {
        "number": invoice.number or invoice.id,
        "amount": rendering.money(payment.amount, payment.currency, locale),
    }
    key = {"succeeded": "payment.paid", "failed": "payment.declined"}.get(payment.status)
    return Outcome(key or "payment.processing", values)
