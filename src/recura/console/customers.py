"""The Customers section: the list (search by name, email or VAT id / CUI, filter by
standing, newest first, a page at a time) and each customer's page, with the team's
support notes, where an operator with `customers.write` emails the customer a link into
the portal and writes a note (`support_notes`)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from recura import i18n
from recura.console import auth, modes, pages, support_notes
from recura.console.auth import Operator
from recura.db.models import Customer
from recura.domains.audit import service as audit
from recura.domains.common import actor as acting
from recura.domains.common.tenant import Tenant
from recura.domains.customers import overview
from recura.domains.customers import repository as customers
from recura.domains.portal_sessions import service as portal_sessions
from recura.domains.subscriptions import repository as subscriptions

router = APIRouter(prefix="/console/customers")
READ = auth.require("customers.read")
WRITE = auth.require("customers.write")
PER_PAGE = 25
STANDINGS = ("active", "past_due", "none")
DONE = {"link_sent", "note_added"}
PROBLEMS = {"no_email", "archived"}


@router.get("")
def customer_list(
    request: Request,
    q: str = "",
    status: str = "",
    after: str = "",
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    query = q.strip()[:200]
    standing = status if status in STANDINGS else None
    test = modes.is_test(request)
    tenant = modes.tenant(operator, request)
    with pages.unit(request) as session:
        found = customers.search(session, tenant, query, standing, PER_PAGE, after[:64] or None)
        mrr = subscriptions.mrr_by_customer(session, tenant, [c.id for c in found.items])
        session.expunge_all()
    filters = {"q": query, "status": standing or "", **modes.query(test)}
    kept = {name: value for name, value in filters.items() if value}
    more = None
    if found.has_more:
        more = "?" + urlencode({**kept, "after": found.items[-1].id})
    return auth.render(
        request,
        operator,
        "customers.html",
        customers=found.items,
        mrr=mrr,
        query=query,
        standing=standing,
        standings=STANDINGS,
        test=test,
        first_page="?" + urlencode(kept) if after else None,
        more=more,
        other_mode="?" + urlencode(modes.query(not test)),
    )


def _page(
    request: Request,
    operator: Operator,
    customer_id: str,
    *,
    done: str | None = None,
    error: str | None = None,
    note_error: str | None = None,
    note_text: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = request.app.state.clock.now()
    with pages.unit(request) as session:
        customer = customers.find_by_key(session, operator.account.id, customer_id[:64])
        if customer is None:
            return auth.render(request, operator, "not_found.html", 404)
        tenant = Tenant(customer.account_id, customer.livemode)
        seen = overview.of(session, tenant, customer, now)
        session.expunge_all()
    zone = ZoneInfo(operator.account.timezone)

    def moment(at: datetime) -> str:
        return format_datetime(at.astimezone(zone), "medium", locale=operator.locale)

    return auth.render(
        request,
        operator,
        "customer.html",
        status,
        seen=seen,
        customer=seen.customer,
        moment=moment,
        state=lambda value: _state(value, operator.locale),
        engagement_days=overview.ENGAGEMENT_DAYS,
        done=done if done in DONE else None,
        error=error,
        note_error=note_error,
        note_text=note_text,
        note_max=support_notes.NOTE_MAX,
    )


@router.get("/{customer_id}")
def customer_page(
    customer_id: str, request: Request, done: str | None = None, operator: Operator = Depends(READ)
) -> HTMLResponse:
    return _page(request, operator, customer_id, done=done)


@router.post("/{customer_id}/portal-link")
async def send_portal_link(
    customer_id: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_send_link, request, operator, customer_id[:64], fields)


def _send_link(
    request: Request, operator: Operator, customer_id: str, fields: dict[str, str]
) -> Response:
    if not auth.form_accepted(request, operator, f"customer_link_{customer_id}", fields):
        return _page(request, operator, customer_id, error="page.form_expired", status=403)
    now = request.app.state.clock.now()
    with pages.unit(request) as session:
        customer = customers.find_by_key(session, operator.account.id, customer_id)
        if customer is None:
            return auth.render(request, operator, "not_found.html", 404)
        problem = _cannot_email(customer)
        if problem is None:
            tenant = Tenant(customer.account_id, customer.livemode)
            with acting.acting_as(operator.actor()):
                row = portal_sessions.email_link(session, tenant, customer, now)
            audit.record(
                session,
                tenant,
                operator.actor(),
                "portal_session.create",
                "portal_session",
                row.id,
                now,
                ip=request.client.host if request.client else None,
            )
    if problem is not None:
        return _page(
            request, operator, customer_id, error=f"customer.problem.{problem}", status=422
        )
    return RedirectResponse(f"/console/customers/{customer_id}?done=link_sent", status_code=303)


@router.post("/{customer_id}/notes")
async def add_note(
    customer_id: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_add_note, request, operator, customer_id[:64], fields)


def _add_note(
    request: Request, operator: Operator, customer_id: str, fields: dict[str, str]
) -> Response:
    text = fields.get("note", "")[: support_notes.NOTE_MAX * 2]
    if not auth.form_accepted(request, operator, f"customer_note_{customer_id}", fields):
        return _page(
            request, operator, customer_id, error="page.form_expired", note_text=text, status=403
        )
    problem = support_notes.add(request, operator, customer_id, text)
    if problem == "not_found":
        return auth.render(request, operator, "not_found.html", 404)
    if problem is not None:
        return _page(
            request,
            operator,
            customer_id,
            note_error=f"risk.problem.{problem}",
            note_text=text,
            status=422,
        )
    return RedirectResponse(f"/console/customers/{customer_id}?done=note_added#notes", 303)


def _state(value: str, locale: str) -> str:
    """A status in the operator's language; one the catalog lacks, as its code."""
    key = f"state.{value}"
    found = i18n.catalog("console", locale).get(key) or i18n.catalog("console", "en").get(key)
    return found or value


def _cannot_email(customer: Customer) -> str | None:
    if customer.archived_at is not None:
        return "archived"
    if not customer.email:
        return "no_email"
    return None
