"""Help: the subscriber's support requests (each one's status and last activity), a form
for a new one about one of their invoices or subscriptions if they like, and each request's
conversation with a reply and a close button.

Sending a request or a reply emails the merchant, so both are rate-limited per customer
(`web.rate_limits`, action "support"); a filled hidden field (a bot) is answered as usual
and nothing is recorded. The domain's field errors become sentences of the portal's
catalogs next to their fields: the domain's own are English, for the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.db.models import SupportRequest
from recura.domains.common.errors import InvalidError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import service as invoices
from recura.domains.plans import repository as plans
from recura.domains.subscriptions import service as subscriptions
from recura.domains.support_requests import categories
from recura.domains.support_requests import service as support
from recura.domains.support_requests.schemas import MESSAGE_MAX, SUBJECT_MAX
from recura.notifications import rendering
from recura.portal import pages, signed_in
from recura.portal.signed_in import Visitor
from recura.web import csrf

router = APIRouter()

NEW = "support_new"
REPLY = "support_reply"
CLOSE = "support_close"
HONEYPOT = "website"
# A message at its longest, every character percent-encoded (a letter with a diacritic is
# six bytes that way), fits with room to spare.
MAX_FORM_BYTES = 64 * 1024
SHOWN = 20
# How many of the customer's latest invoices and subscriptions the form offers.
CHOICES = 20
# The form's "about" field: nothing, or one invoice or subscription.
NOTHING = ""
INVOICE = "invoice:"
SUBSCRIPTION = "subscription:"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(slots=True)
class Draft:
    """A new request as typed, shown again with its errors when it cannot be sent."""

    category: str = ""
    subject: str = ""
    message: str = ""
    about: str = NOTHING
    errors: dict[str, str] = field(default_factory=dict)


# --- the list and the new request's form -------------------------------------------------


@router.get("/portal/support")
def requests_page(request: Request, after: str | None = None, sent: str | None = None) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        notice = "support.sent" if sent else None
        return _list(session, request, visitor, Draft(), after=after, notice=notice)


@router.post("/portal/support")
async def open_request(request: Request) -> Response:
    fields = await pages.form(request, MAX_FORM_BYTES)
    return await run_in_threadpool(_open, request, fields)


def _open(request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        draft = Draft(
            category=fields.get("category", ""),
            subject=fields.get("subject", ""),
            message=fields.get("message", ""),
            about=fields.get("about", NOTHING),
        )
        if not csrf.form_accepted(request, visitor.portal_session.id, NEW, fields):
            return _list(session, request, visitor, draft, notice="page.form_expired", status=403)
        if not request.app.state.limiter.allow("support", request, visitor.customer.email):
            return _list(session, request, visitor, draft, notice="support.too_many", status=429)
        # A bot filled the hidden field: answer as to anyone, record nothing.
        if fields.get(HONEYPOT):
            return RedirectResponse("/portal/support?sent=1", status_code=303)
        invoice_id, subscription_id = _about(draft.about)
        try:
            thread = support.open_request(
                session,
                visitor.tenant,
                visitor.customer.id,
                category=draft.category,
                subject=draft.subject,
                message=draft.message,
                now=visitor.now,
                invoice_id=invoice_id,
                subscription_id=subscription_id,
            )
        except InvalidError as error:
            draft.errors = _messages(error, fields, visitor.locale)
            return _list(session, request, visitor, draft, status=422)
        return RedirectResponse(f"/portal/support/{thread.request.id}?sent=1", status_code=303)


def _list(
    session: Session,
    request: Request,
    visitor: Visitor,
    draft: Draft,
    *,
    after: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    tenant, customer_id, locale = visitor.tenant, visitor.customer.id, visitor.locale
    found = support.customer_requests(
        session, tenant, customer_id, limit=SHOWN, starting_after=after or None
    )
    invoice_choices, subscription_choices = _choices(session, tenant, customer_id, visitor)
    return pages.PAGES.render(
        request,
        "support.html",
        visitor.frame(),
        status,
        requests=found.items,
        older=found.items[-1].id if found.has_more and found.items else None,
        newer=bool(after),
        category_choices=categories.category_choices(locale),
        category_label=lambda code: categories.category_label(code, locale),
        status_label=lambda code: categories.status_label(code, locale),
        invoice_choices=invoice_choices,
        subscription_choices=subscription_choices,
        draft=draft,
        notice=notice,
        honeypot=HONEYPOT,
        subject_max=SUBJECT_MAX,
        message_max=MESSAGE_MAX,
        moment=_moment(visitor),
    )


def _choices(
    session: Session, tenant: Tenant, customer_id: str, visitor: Visitor
) -> tuple[list[Choice], list[Choice]]:
    """What a request may be about: the customer's latest issued invoices and their
    subscriptions, named as the overview names them."""
    locale = visitor.locale
    issued = [
        invoice
        for invoice in invoices.page(session, tenant, CHOICES, None, customer=customer_id).items
        if invoice.status != "draft"
    ]
    timezone = visitor.brand.timezone
    invoice_choices = [
        Choice(
            INVOICE + invoice.id,
            pages.text(
                "support.about_invoice",
                locale,
                number=invoice.number or invoice.id,
                date=_day(invoice.finalized_at or invoice.created_at, locale, timezone),
            ),
        )
        for invoice in issued
    ]
    subs = subscriptions.page(session, tenant, CHOICES, None, customer=customer_id).items
    names = {
        key[1]: plan.name
        for key, plan in plans.plans_by_key(
            session, {(tenant.account_id, s.plan_id) for s in subs}
        ).items()
    }
    subscription_choices = [
        Choice(
            SUBSCRIPTION + sub.id,
            pages.text(
                "support.about_subscription",
                locale,
                plan=names.get(sub.plan_id, sub.plan_id),
                status=pages.text(f"status.{sub.status}", locale),
            ),
        )
        for sub in subs
        if sub.status != "incomplete_expired"
    ]
    return invoice_choices, subscription_choices


def _about(value: str) -> tuple[str | None, str | None]:
    """The form's "about" as (invoice, subscription); anything else is an id the domain
    will not find among the customer's, and says so."""
    if value.startswith(INVOICE):
        return value.removeprefix(INVOICE), None
    if value.startswith(SUBSCRIPTION):
        return None, value.removeprefix(SUBSCRIPTION)
    if value == NOTHING:
        return None, None
    return value, None


# --- one request: its conversation, a reply, closing it -----------------------------------


@router.get("/portal/support/{request_id}")
def thread_page(
    request_id: str,
    request: Request,
    sent: str | None = None,
    replied: str | None = None,
    closed: str | None = None,
) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        notice = (
            "support.sent"
            if sent
            else "support.replied"
            if replied
            else "support.closed"
            if closed
            else None
        )
        return _thread(session, request, visitor, request_id, notice=notice)


@router.post("/portal/support/{request_id}/reply")
async def reply(request_id: str, request: Request) -> Response:
    fields = await pages.form(request, MAX_FORM_BYTES)
    return await run_in_threadpool(_reply, request_id, request, fields)


def _reply(request_id: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        body = fields.get("body", "")
        if not csrf.form_accepted(request, visitor.portal_session.id, REPLY, fields):
            return _thread(
                session,
                request,
                visitor,
                request_id,
                body=body,
                notice="page.form_expired",
                status=403,
            )
        if not request.app.state.limiter.allow("support", request, visitor.customer.email):
            return _thread(
                session,
                request,
                visitor,
                request_id,
                body=body,
                notice="support.too_many",
                status=429,
            )
        if fields.get(HONEYPOT):
            return RedirectResponse(f"/portal/support/{request_id}?replied=1", status_code=303)
        try:
            support.customer_reply(
                session, visitor.tenant, visitor.customer.id, request_id, body, visitor.now
            )
        except NotFoundError:
            return _not_found(request, visitor)
        except InvalidError as error:
            errors = _messages(error, fields, visitor.locale)
            return _thread(
                session, request, visitor, request_id, body=body, errors=errors, status=422
            )
        return RedirectResponse(f"/portal/support/{request_id}?replied=1", status_code=303)


@router.post("/portal/support/{request_id}/close")
async def close(request_id: str, request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_close, request_id, request, fields)


def _close(request_id: str, request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        if not csrf.form_accepted(request, visitor.portal_session.id, CLOSE, fields):
            return _thread(
                session, request, visitor, request_id, notice="page.form_expired", status=403
            )
        try:
            support.customer_close(
                session, visitor.tenant, visitor.customer.id, request_id, visitor.now
            )
        except NotFoundError:
            return _not_found(request, visitor)
        return RedirectResponse(f"/portal/support/{request_id}?closed=1", status_code=303)


def _thread(
    session: Session,
    request: Request,
    visitor: Visitor,
    request_id: str,
    *,
    body: str = "",
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    try:
        found = support.customer_thread(session, visitor.tenant, visitor.customer.id, request_id)
    except NotFoundError:
        return _not_found(request, visitor)
    locale = visitor.locale
    return pages.PAGES.render(
        request,
        "support_thread.html",
        visitor.frame(),
        status,
        support_request=found.request,
        messages=found.messages,
        about=_about_label(session, visitor, found.request),
        category=categories.category_label(found.request.category, locale),
        status_text=categories.status_label(found.request.status, locale),
        body=body,
        errors=errors or {},
        notice=notice,
        honeypot=HONEYPOT,
        message_max=MESSAGE_MAX,
        moment=_moment(visitor),
    )


def _about_label(session: Session, visitor: Visitor, found: SupportRequest) -> str | None:
    tenant, locale = visitor.tenant, visitor.locale
    if found.invoice_id:
        try:
            invoice = invoices.get(session, tenant, found.invoice_id)
        except NotFoundError:
            return None
        return pages.text(
            "support.about_invoice",
            locale,
            number=invoice.number or invoice.id,
            date=_day(invoice.finalized_at or invoice.created_at, locale, visitor.brand.timezone),
        )
    if found.subscription_id:
        try:
            sub = subscriptions.get(session, tenant, found.subscription_id)
        except NotFoundError:
            return None
        plan = plans.get_plan(session, tenant, sub.plan_id)
        return pages.text(
            "support.about_subscription",
            locale,
            plan=plan.name if plan is not None else sub.plan_id,
            status=pages.text(f"status.{sub.status}", locale),
        )
    return None


def _not_found(request: Request, visitor: Visitor) -> HTMLResponse:
    return pages.PAGES.render(request, "not_found.html", visitor.frame(), 404)


# --- texts ---------------------------------------------------------------------------------


# The domain's field pointers, as the forms name their fields.
_FIELDS = {
    "/category": "category",
    "/subject": "subject",
    "/message": "message",
    "/body": "body",
    "/invoice": "about",
    "/subscription": "about",
}


def _messages(error: InvalidError, fields: dict[str, str], locale: str) -> dict[str, str]:
    """Each refused field's sentence in the visitor's language, by what is wrong with the
    value as sent (the domain's pointers say which field, its details are for the API)."""
    found: dict[str, str] = {}
    for problem in error.errors:
        name = _FIELDS.get(problem.pointer)
        if name is None or name in found:
            continue
        found[name] = _message(name, fields.get(name, ""), locale)
    return found


def _message(name: str, value: str, locale: str) -> str:
    if name == "category":
        return pages.text("support.error.category", locale)
    if name == "about":
        return pages.text("support.error.about", locale)
    longest = SUBJECT_MAX if name == "subject" else MESSAGE_MAX
    kind = "subject" if name == "subject" else "message"
    if not value.strip():
        return pages.text(f"support.error.{kind}_empty", locale)
    if len(value.strip()) > longest:
        return pages.text(f"support.error.{kind}_long", locale, max=longest)
    return pages.text("support.error.characters", locale)


def _day(at: datetime, locale: str, timezone: str) -> str:
    return rendering.day(at, locale, timezone)


def _moment(visitor: Visitor) -> Callable[[datetime], str]:
    """A date and time in the merchant's time zone, as the visitor's language writes it."""
    zone = ZoneInfo(visitor.brand.timezone)

    def moment(at: datetime) -> str:
        local = at.astimezone(zone)
        date = format_date(local.date(), "medium", locale=visitor.locale)
        return f"{date}, {format_time(local.time(), 'short', locale=visitor.locale)}"

    return moment
