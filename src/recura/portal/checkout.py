"""The hosted checkout: `/checkout/{id}`, the address `POST /v1/checkout_sessions` returns,
and the public link of each plan (`/p/{slug}[/test]/checkout/{plan_id}`).

Two steps: the subscriber's details (`/checkout/{id}`), then the summary, the promotion
code, the payment method and the consent (`/checkout/{id}/pay`), confirmed in one post.
Every step is saved as it is taken, so a reload, the back button or a second tab finds
the checkout where it was; confirming holds the session's row (`complete.complete`), so a
double submit or two tabs make one subscription and later posts see it done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.db.models import Account, CheckoutSession, Invoice, PaymentMethod
from recura.db.unit_of_work import units_on
from recura.domains.accounts import repository as accounts
from recura.domains.checkout import authentication, service, summary
from recura.domains.checkout import complete as completing
from recura.domains.checkout.complete import Completion
from recura.domains.common import languages
from recura.domains.common.errors import DomainError
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service as customers
from recura.domains.customers.billing import BillingDetailsInvalid
from recura.domains.customers.messages import text as message
from recura.domains.invoices import repository as invoices
from recura.domains.invoices.issuing import SEND_INVOICE
from recura.domains.onboarding import guide as onboarding
from recura.domains.payments import methods, processors
from recura.domains.plans import service as plans
from recura.gateways import sandbox
from recura.gateways.bank_transfer import references
from recura.gateways.base import GatewayError
from recura.notifications import rendering
from recura.portal import checkout_view as view
from recura.portal import pages, site
from recura.web import csp, csrf
from recura.web.pages import Brand, Frame

log = logging.getLogger(__name__)
router = APIRouter()
HONEYPOT = "website"
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


@dataclass(frozen=True, slots=True)
class Found:
    """The checkout an address names, whose it is, and the page's language."""

    tenant: Tenant
    account: Account
    checkout: CheckoutSession
    brand: Brand
    locale: str
    now: datetime

    @property
    def status(self) -> str:
        return service.status_at(self.checkout, self.now)

    @property
    def base(self) -> str:
        return f"/checkout/{self.checkout.id}"

    def frame(self, request: Request, *, stripe: bool = False) -> Frame:
        policy = pages.policy(request, stripe=stripe)
        success = service.success_url_of(self.checkout)
        if success is not None:
            # Confirming answers with a redirect there, which the browser checks against
            # the form's policy.
            policy = replace(policy, form_targets=(csp.origin(success),))
        return Frame(
            brand=self.brand,
            locale=self.locale,
            test_mode=not self.tenant.livemode,
            policy=policy,
        )

    def binding(self, request: Request) -> str:
        return csrf.visitor_binding(request)


def _find(session: Session, request: Request, checkout_id: str) -> Found | None:
    located = service.locate(session, checkout_id[:64])
    if located is None:
        return None
    tenant, checkout = located
    now = request.app.state.clock.now()
    # The language switch changes the session's language, and so its customer's emails.
    picked = languages.negotiate(request.query_params.get("lang"))
    if picked and picked != checkout.locale and service.status_at(checkout, now) == "open":
        checkout = service.choose_locale(session, tenant, checkout.id, picked, now)
    account = accounts.account_by_key(session, tenant.account_id)
    shown = pages.brand_of(session, account)
    return Found(tenant, account, checkout, shown, picked or checkout.locale, now)


def _form_name(found: Found, step: str) -> str:
    return f"checkout_{step}:{found.checkout.id}"


def _accepted(request: Request, found: Found, step: str, fields: dict[str, str]) -> bool:
    return csrf.form_accepted(request, found.binding(request), _form_name(found, step), fields)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _cancel_url(found: Found) -> str | None:
    """Where "back" leads: the merchant's cancel URL, else the account's public site."""
    return found.checkout.cancel_url or site.root(found.account, found.tenant.livemode)


def _render(
    request: Request, found: Found, template: str, status: int = 200, **values: Any
) -> HTMLResponse:
    stripe = bool(values.pop("stripe", False))
    return pages.PAGES.render(
        request,
        template,
        found.frame(request, stripe=stripe),
        status,
        checkout=found.checkout,
        base=found.base,
        cancel_url=_cancel_url(found),
        form_name=lambda step: _form_name(found, step),
        **values,
    )


def _closed(request: Request, found: Found) -> HTMLResponse:
    """An expired or completed checkout: what happened and where to go."""
    done = found.status == "complete"
    target = (service.success_url_of(found.checkout) or f"{found.base}/done") if done else None
    return _render(
        request, found, "checkout_closed.html", 200 if done else 410, done=done, target=target
    )


def _quote(session: Session, found: Found, *, bank_transfer: bool = False) -> view.SummaryView:
    way: Any = "send_invoice" if bank_transfer else "charge_automatically"
    quote = summary.summary(session, found.tenant, found.checkout, found.now, collection_method=way)
    return view.summary_view(quote, found.locale)


# Step 1: the subscriber's details


@router.get("/checkout/{checkout_id}")
def details_page(checkout_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        found = _find(session, request, checkout_id)
        if found is None:
            return pages.not_found(request)
        service.mark_opened(session, found.tenant, found.checkout.id, found.now)
        if found.status != "open":
            return _closed(request, found)
        values = service.initial_details(session, found.tenant, found.checkout)
        return _details(request, session, found, view.flat(values), {})


def _details(
    request: Request,
    session: Session,
    found: Found,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    if not values.get("country"):
        values["country"] = found.account.country or "RO"
    return _render(
        request,
        found,
        "checkout_details.html",
        status,
        values=values,
        errors=errors,
        notice=notice,
        summary=_quote(session, found),
        countries=view.countries(found.locale),
        counties=view.counties(found.locale),
        sectors=[(str(n), str(n)) for n in range(1, 7)],
    )


@router.post("/checkout/{checkout_id}")
async def save_details(checkout_id: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_save_details, checkout_id, request, fields)


def _save_details(checkout_id: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        found = _find(session, request, checkout_id)
        if found is None:
            return pages.not_found(request)
        if found.status != "open":
            return _closed(request, found)
        values = {name: fields.get(name, "")[:320] for name in view.FIELDS}
        if not _accepted(request, found, "details", fields):
            return _details(request, session, found, values, {}, 403, "page.form_expired")
        if fields.get(HONEYPOT):
            # A bot filled the hidden field: nothing is kept, and it is not told why.
            return _see(found.base)
        try:
            service.save_details(
                session, found.tenant, found.checkout.id, view.posted(values), found.now
            )
        except BillingDetailsInvalid as invalid:
            errors = view.field_errors(invalid.messages(found.locale))
            return _details(request, session, found, values, errors, 422)
        return _see(f"{found.base}/pay")


# Step 2: the summary, the payment method and the consent


@dataclass(frozen=True, slots=True)
class Payment:
    """How this checkout takes its payment. `way` is what the subscriber chose: `card`
    (the processor's flow), `bank_transfer`, or `none` when nothing is needed."""

    way: str
    processor: str | None
    bank_transfer: bool  # offered as well
    current: PaymentMethod | None = None
    test_tokens: tuple[str, ...] = ()
    client_secret: str | None = None
    publishable_key: str | None = None
    approve_url: str | None = None

    @property
    def stripe(self) -> bool:
        return self.way == "card" and self.processor == "stripe" and self.current is None


def _needs_method(session: Session, found: Found) -> bool:
    quote = summary.summary(session, found.tenant, found.checkout, found.now)
    trial_needs = quote.trial_end is not None and found.account.trial_requires_payment_method
    return quote.pays_now or trial_needs


def _processor(session: Session, tenant: Tenant) -> str | None:
    try:
        return processors.default_gateway(session, tenant)
    except DomainError:
        return None  # live mode with no processor connected


def _payment(session: Session, request: Request, found: Found, wanted: str | None) -> Payment:
    if not _needs_method(session, found):
        return Payment("none", None, False)
    processor = _processor(session, found.tenant)
    if processor == "stripe":
        connection = processors.connection(session, found.tenant, "stripe")
        if not (connection and connection.config.get("publishable_key")):
            processor = None  # Stripe.js cannot start without it
    transfer = bool(found.account.iban)
    way = wanted if wanted in ("card", "bank_transfer") else None
    if (
        way is None
        or (way == "card" and processor is None)
        or (way == "bank_transfer" and not transfer)
    ):
        way = "card" if processor else "bank_transfer" if transfer else "unavailable"
    if way != "card" or processor is None:
        return Payment(way, processor, transfer)
    current = None
    if found.checkout.customer_id is not None and request.query_params.get("new") is None:
        customer = customers.get(session, found.tenant, found.checkout.customer_id)
        current = methods.default_of(session, found.tenant, customer)
    if current is not None or processor == "sandbox":
        return Payment(way, processor, transfer, current, tuple(sandbox.CARDS))
    # Stripe's SetupIntent and PayPal's approval belong to a customer: made now, once.
    try:
        customer = completing.customer_for(session, found.tenant, found.checkout.id, found.now)
        back = f"{request.app.state.settings.public_url.rstrip('/')}{found.base}/paypal"
        _, setup = methods.start_setup(session, found.tenant, customer.id, processor, back)
    except (DomainError, GatewayError):
        log.exception("checkout %s: no way to take a payment method", found.checkout.id)
        return Payment("unavailable", processor, transfer)
    key = _publishable_key(session, found.tenant) if processor == "stripe" else None
    return Payment(
        way,
        processor,
        transfer,
        client_secret=setup.client_secret,
        publishable_key=key,
        approve_url=setup.approve_url,
    )


def _publishable_key(session: Session, tenant: Tenant) -> str | None:
    connection = processors.connection(session, tenant, "stripe")
    key = connection.config.get("publishable_key") if connection else None
    return str(key) if key else None


def _pay(
    request: Request,
    session: Session,
    found: Found,
    *,
    wanted: str | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
    code: str = "",
    action: authentication.Action | None = None,
) -> HTMLResponse:
    payment = _payment(session, request, found, wanted)
    checkout = found.checkout
    saved = service.saved_details(checkout)
    key = _publishable_key(session, found.tenant) if action is not None else None
    return _render(
        request,
        found,
        "checkout_pay.html",
        status,
        stripe=payment.stripe or key is not None,
        payment=payment,
        action=action if key is not None else None,
        action_key=key,
        summary=_quote(session, found, bank_transfer=payment.way == "bank_transfer"),
        details=saved,
        errors=errors or {},
        notice=notice,
        code=code,
        method=lambda m: pages.describe(m, found.locale),
        country_name=dict(view.countries(found.locale)),
        stripe_js_url=request.app.state.settings.stripe_js_url,
        way_url=lambda way: f"{found.base}/pay?{urlencode({'way': way})}",
    )


@router.get("/checkout/{checkout_id}/pay")
def pay_page(checkout_id: str, request: Request, way: str | None = None) -> Response:
    with pages.unit(request) as session:
        found = _find(session, request, checkout_id)
        if found is None:
            return pages.not_found(request)
        action = None
        if found.checkout.subscription_id is not None and found.status == "open":
            # Confirmed before, its charge unanswered, declined or waiting for the
            # subscriber's bank (3-D Secure; Stripe.js sends them back here): how it stands
            # now, the processor asked with no transaction open.
            units = units_on(session)
            done, action = authentication.resume(units, found.tenant, found.checkout.id, found.now)
            found = _find(session, request, checkout_id) or found
            if done.status == "complete":
                return _finished(session, found, done)
        if found.status != "open":
            return _closed(request, found)
        if found.checkout.details is None:
            return _see(found.base)
        error = found.checkout.last_error
        if request.query_params.get("new") is not None:
            action = None  # another card instead
            error = None if error == "payment.requires_action" else error
        notice = message(error, found.locale) if error else None
        return _pay(request, session, found, wanted=way, notice=notice, action=action)


@router.post("/checkout/{checkout_id}/code")
async def promotion_code(checkout_id: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_promotion_code, checkout_id, request, fields)


def _promotion_code(checkout_id: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        found = _find(session, request, checkout_id)
        if found is None:
            return pages.not_found(request)
        if found.status != "open":
            return _closed(request, found)
        code = fields.get("promotion_code", "").strip()[:64]
        way = fields.get("way")
        if not _accepted(request, found, "code", fields):
            return _pay(request, session, found, wanted=way, notice=_expired(found), status=403)
        remove = fields.get("remove") is not None
        try:
            service.apply_promotion_code(
                session, found.tenant, found.checkout.id, None if remove else code, found.now
            )
        except BillingDetailsInvalid as invalid:
            session.rollback()
            found = _find(session, request, checkout_id) or found
            errors = view.field_errors(invalid.messages(found.locale))
            return _pay(request, session, found, wanted=way, errors=errors, status=422, code=code)
        return _see(f"{found.base}/pay" + (f"?{urlencode({'way': way})}" if way else ""))


def _expired(found: Found) -> str:
    return pages.text("page.form_expired", found.locale)


@router.post("/checkout/{checkout_id}/pay")
async def confirm(checkout_id: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_confirm, checkout_id, request, fields)


def _confirm(checkout_id: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        found = _find(session, request, checkout_id)
        if found is None:
            return pages.not_found(request)
        way = fields.get("way") or "none"
        if found.status == "complete":
            # A second click, another tab, or the back button: the one subscription made.
            return _finished(session, found, completing.result_of(found.checkout))
        if found.status != "open":
            return _closed(request, found)
        if not _accepted(request, found, "pay", fields):
            return _pay(request, session, found, wanted=way, notice=_expired(found), status=403)
        if found.checkout.details is None:
            return _see(found.base)
        method_id = None
        token = fields.get("token", "").strip()[:255]
        if way == "card" and token:
            method_id = _attach(session, found, token)
            if method_id is None:
                errors = {"payment_method": message("payment_method.invalid", found.locale)}
                return _pay(request, session, found, wanted=way, errors=errors, status=422)
        try:
            done = completing.complete(
                units_on(session),
                found.tenant,
                found.checkout.id,
                found.now,
                terms_accepted=fields.get("terms") == "yes",
                payment_method_id=method_id,
                bank_transfer=way == "bank_transfer",
            )
        except BillingDetailsInvalid as invalid:
            session.rollback()
            found = _find(session, request, checkout_id) or found
            errors = view.field_errors(invalid.messages(found.locale))
            return _pay(request, session, found, wanted=way, errors=errors, status=422)
        if done.status == "complete":
            return _finished(session, found, done)
        if done.error == "payment.requires_action":
            # The page asks the processor for what Stripe.js needs and starts the challenge.
            return _see(f"{found.base}/pay")
        found = _find(session, request, checkout_id) or found
        if done.status == "expired":
            return _closed(request, found)
        notice = done.message(found.locale)
        return _pay(request, session, found, wanted=way, notice=notice, status=402)


def _attach(session: Session, found: Found, token: str) -> str | None:
    """The method the processor's flow gave, saved for the checkout's customer (made now if
    need be) as its default; None when the processor refuses it."""
    tenant = found.tenant
    try:
        customer = completing.customer_for(session, tenant, found.checkout.id, found.now)
        name = processors.default_gateway(session, tenant)
        method = methods.attach(session, tenant, customer.id, name, token, True, found.now)
        completing.mark_payment_method(session, tenant, found.checkout.id, method.id, found.now)
    except DomainError as error:
        log.info("checkout %s: payment method not saved: %s", found.checkout.id, error.detail)
        return None
    return method.id


def _finished(session: Session, found: Found, done: Completion) -> RedirectResponse:
    """Where a completed checkout leads: the merchant's success URL, else our own page;
    ours too when a transfer is awaited, since it shows how to pay."""
    own = f"{found.base}/done"
    target = done.redirect_url or service.success_url_of(found.checkout)
    if found.checkout.acquisition.get("channel") == service.PUBLIC_CHANNEL or target is None:
        return _see(own)
    return _see(own if _transfer(found, _first_invoice(session, found)) else target)


def _first_invoice(session: Session, found: Found) -> Invoice | None:
    sub = found.checkout.subscription_id
    first = invoices.of_subscription(session, found.tenant, sub) if sub else []
    return first[0] if first else None


@router.get("/checkout/{checkout_id}/paypal")
def paypal_return(
    checkout_id: str,
    request: Request,
    approval_token_id: str | None = None,
    paypal: str | None = None,
) -> Response:
    """Where PayPal sends the subscriber back, with the approved setup token (or, from
    its cancel link, `paypal=cancelled`)."""
    with pages.unit(request) as session:
        found = _find(session, request, checkout_id)
        if found is None:
            return pages.not_found(request)
        if found.status != "open":
            return _closed(request, found)
        if paypal == "cancelled" or not approval_token_id:
            notice = pages.text("payment.paypal_cancelled", found.locale)
            return _pay(request, session, found, notice=notice)
        # Coming back twice (a reload) saves one method: PayPal gives the same token.
        if _attach(session, found, approval_token_id[:255]) is None:
            errors = {"payment_method": message("payment_method.invalid", found.locale)}
            return _pay(request, session, found, errors=errors, status=422)
        return _see(f"{found.base}/pay")


# Done


@router.get("/checkout/{checkout_id}/done")
def done_page(checkout_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        found = _find(session, request, checkout_id)
        if found is None:
            return pages.not_found(request)
        checkout = found.checkout
        if found.status != "complete" or checkout.subscription_id is None:
            if found.status == "open":
                return _see(found.base)
            return _closed(request, found)
        tenant, customer_id = found.tenant, checkout.customer_id or ""
        first = _first_invoice(session, found)
        guide = onboarding.guide(
            session,
            tenant,
            customer_id,
            subscription_id=checkout.subscription_id,
            language=found.locale,
        )
        root = site.root(found.account, tenant.livemode)
        public = checkout.acquisition.get("channel") == service.PUBLIC_CHANNEL
        return _render(
            request,
            found,
            "checkout_done.html",
            plan_name=plans.get(session, tenant, checkout.plan_id).name,
            invoice=first,
            transfer=_transfer(found, first),
            guide=guide,
            sign_in_url=f"{root}/sign-in" if root else None,
            continue_url=None if public else service.success_url_of(checkout),
        )


def _transfer(found: Found, invoice: Invoice | None) -> dict[str, str] | None:
    """What a transfer paying the first invoice must say, while one is awaited."""
    if invoice is None or invoice.status != "open" or invoice.payment_reference is None:
        return None
    if invoice.collection_method != SEND_INVOICE:
        return None
    account, due = found.account, invoice.amount_due - invoice.amount_paid
    return {
        "amount": rendering.money(due, invoice.currency, found.locale),
        "beneficiary": account.legal_name,
        "iban": rendering.blocks(account.iban or ""),
        "bic": account.bic or "",
        "reference": references.display(invoice.payment_reference),
    }


# The public link of a plan, with no code: a new session each time, rate-limited


def plan_link(slug: str, plan_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        livemode = not request.url.path.startswith(f"/p/{slug}/test/")
        found = site.open_site(session, slug, livemode)
        if found is None:
            return pages.not_found(request)
        if not request.app.state.limiter.allow("checkout", request):
            frame = found.frame(request)
            return pages.PAGES.render(request, "checkout_busy.html", frame, 429)
        params = request.query_params
        acquisition = {k: params[k].strip() for k in UTM if params.get(k, "").strip()}
        try:
            checkout = service.open_for_plan(
                session,
                found.tenant,
                plan_id[:64],
                request.app.state.clock.now(),
                locale=params.get("lang") or found.frame(request).locale,
                currency=(params.get("currency") or "")[:3] or None,
                acquisition=acquisition,
            )
        except DomainError:
            # No such plan, an archived one, or a currency it has no price in.
            return pages.not_found(request)
        return _see(f"/checkout/{checkout.id}")


for _root in ("/p/{slug}", "/p/{slug}/test"):
    router.add_api_route(f"{_root}/checkout/{{plan_id}}", plan_link, methods=["GET"])
