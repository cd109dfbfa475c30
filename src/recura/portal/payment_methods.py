"""The signed-in subscriber's payment methods: the list, adding one through the processor's
own flow (as the emailed page does, `method_setup`), choosing the default, and removing
one — except the method a subscription is charged to, which stays until another takes
its place (the page says why)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.db.models import PaymentMethod
from recura.domains.common.errors import DomainError
from recura.domains.payments import methods
from recura.portal import method_setup, pages, signed_in
from recura.portal.method_setup import Outcome
from recura.portal.signed_in import Visitor
from recura.web import csrf

router = APIRouter()
PATH = "/portal/payment-methods"
ADD_FORM, DEFAULT_FORM, REMOVE_FORM = "method_add", "method_default", "method_remove"


def _page(
    session: Session,
    request: Request,
    visitor: Visitor,
    *,
    notice: str | None = None,
    outcomes: tuple[Outcome, ...] = (),
    status: int = 200,
) -> Response:
    tenant, customer = visitor.tenant, visitor.customer
    found = methods.of_customer(session, tenant, customer.id)
    offer = method_setup.offer(session, request, tenant, customer.id, f"{PATH}/return")
    stripe = offer.kind == "stripe"
    return pages.PAGES.render(
        request,
        "payment_methods.html",
        visitor.frame(pages.policy(request, stripe=stripe)),
        status,
        methods=found,
        names=method_setup.describe_all(found, visitor.locale),
        kept={m.id: methods.why_kept(session, tenant, customer, m) for m in found},
        default_id=customer.default_payment_method_id,
        offer=offer,
        notice=notice,
        outcomes=outcomes,
        post_url=PATH,
        method_form_key=csrf.form_key(
            request.app.state.secret, visitor.portal_session.id, ADD_FORM
        ),
        ask_default=bool(found),
        account_name=visitor.brand.name,
        stripe_js_url=request.app.state.settings.stripe_js_url,
    )


@router.get(PATH)
def show(request: Request) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        return _page(session, request, visitor)


@router.post(PATH)
async def add(request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_add, request, fields)


def _add(request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        if not signed_in.form_accepted(request, visitor, ADD_FORM, fields):
            return _page(session, request, visitor, notice="page.form_expired", status=403)
        token = fields.get("token", "").strip()[:255]
        if not token:  # the card form posted without Stripe.js having run
            return _page(session, request, visitor, notice="payment.needs_javascript")
        # The first method is the default whatever the box says; else as the box says.
        make_default = fields.get("make_default") == "1" or not methods.of_customer(
            session, visitor.tenant, visitor.customer.id
        )
        return _save(session, request, visitor, token, make_default)


@router.get(f"{PATH}/return")
def paypal_return(
    request: Request, approval_token_id: str | None = None, paypal: str | None = None
) -> Response:
    """Where PayPal sends the subscriber back, with the approved setup token (or, from its
    cancel link, `paypal=cancelled`)."""
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        if paypal == "cancelled" or not approval_token_id:
            return _page(session, request, visitor, notice="payment.paypal_cancelled")
        # A reload saves one method: PayPal gives the same payment token for the setup token.
        return _save(session, request, visitor, approval_token_id[:255], True)


def _save(
    session: Session, request: Request, visitor: Visitor, token: str, make_default: bool
) -> Response:
    outcomes = method_setup.save_and_charge(
        session,
        visitor.tenant,
        visitor.customer,
        token,
        visitor.locale,
        visitor.now,
        make_default=make_default,
    )
    if outcomes is None:
        return _page(session, request, visitor, notice="payment.not_saved", status=422)
    return _page(session, request, visitor, outcomes=outcomes)


def _own(session: Session, visitor: Visitor, method_id: str) -> PaymentMethod | None:
    """The visitor's own method in use; another customer's is not found."""
    try:
        method = methods.get(session, visitor.tenant, method_id)
    except DomainError:
        return None
    if method.customer_id != visitor.customer.id or method.status != "active":
        return None
    return method


@router.post(PATH + "/{method_id}/default")
async def make_default(method_id: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_change, request, method_id, fields, DEFAULT_FORM)


@router.post(PATH + "/{method_id}/remove")
async def remove(method_id: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_change, request, method_id, fields, REMOVE_FORM)


def _change(request: Request, method_id: str, fields: dict[str, str], form: str) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        method = _own(session, visitor, method_id)
        if method is None:
            return pages.not_found(request)
        if not signed_in.form_accepted(request, visitor, form, fields):
            return _page(session, request, visitor, notice="page.form_expired", status=403)
        name = pages.describe(method, visitor.locale)
        if form == DEFAULT_FORM:
            methods.set_default(session, visitor.tenant, method.id, visitor.now)
            done = "methods.default_set"
        else:
            why = methods.why_kept(session, visitor.tenant, visitor.customer, method)
            if why is not None:
                return _page(session, request, visitor, notice=f"methods.kept_{why}", status=409)
            try:
                methods.detach(session, visitor.tenant, method.id, visitor.now)
            except DomainError:
                return _page(session, request, visitor, notice="methods.not_removed", status=502)
            done = "methods.removed"
        return _page(session, request, visitor, outcomes=(Outcome(done, {"method": name}),))
