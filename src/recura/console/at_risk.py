"""Customers at risk of leaving (`engagement.service.at_risk`, the API's
`/v1/engagement/at_risk`), each with its reasons and one-click actions: email a portal link
(`customers.write`), offer a coupon (`subscriptions.write`: the account's retention
coupon chosen first, through the subscription's coupon preview and confirmation), and add
a support note (`customers.write`, `support_notes`), shown here (the newest) and on the
customer's page (all), with who wrote it and when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from recura.console import audit as console_audit
from recura.console import auth, pages, support_notes
from recura.console import subscriptions as subscription_pages
from recura.console.auth import Operator
from recura.db.models import Coupon, CustomerNote, Subscription
from recura.domains.common import actor as acting
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import repository as coupons
from recura.domains.customer_notes import repository as customer_notes
from recura.domains.customers import repository as customers
from recura.domains.engagement import schemas as engagement_schemas
from recura.domains.engagement import service as engagement
from recura.domains.portal_sessions import service as portal_sessions
from recura.domains.subscriptions import repository as subscriptions

router = APIRouter(prefix="/console/customers/at-risk")
READ = auth.require("customers.read")
WRITE = auth.require("customers.write")
SHOWN = 50
DONE = {"link_sent", "note_added"}
PROBLEMS = {"no_email", "archived", "note_empty"}


@dataclass(frozen=True, slots=True)
class Row:
    risk: engagement_schemas.AtRiskOut
    subscription: Subscription | None
    note: CustomerNote | None


def _rows(request: Request, tenant: Tenant) -> tuple[Any, list[Row], list[Coupon]]:
    now = request.app.state.clock.now()
    with pages.unit(request) as session:
        found = engagement.at_risk(session, tenant, now, limit=SHOWN)
        notes = customer_notes.latest_of(session, tenant, [r.customer for r in found.data])
        rows = []
        for risk in found.data:
            open_subs = subscriptions.of_customer_open(session, tenant, risk.customer)
            rows.append(Row(risk, open_subs[0] if open_subs else None, notes.get(risk.customer)))
        offered = coupons.coupon_page(
            session,
            tenant,
            limit=subscription_pages.COUPONS_OFFERED,
            starting_after=None,
            archived=False,
        ).items
        session.expunge_all()
    return found, rows, offered


@router.get("")
def at_risk_page(
    request: Request,
    mode: str = "",
    done: str | None = None,
    problem: str | None = None,
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    return _page(request, operator, mode == "test", done=done, problem=problem)


def _page(
    request: Request,
    operator: Operator,
    test: bool,
    *,
    done: str | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    tenant = Tenant(operator.account.id, livemode=not test)
    found, rows, offered = _rows(request, tenant)
    retention = operator.account.retention_offer or {}
    return auth.render(
        request,
        operator,
        "at_risk.html",
        status,
        found=found,
        rows=rows,
        coupons=offered,
        retention_coupon=retention.get("coupon") if retention.get("kind") == "coupon" else None,
        test=test,
        done=done if done in DONE else None,
        problem=problem if problem in PROBLEMS or problem == "page.form_expired" else None,
        **subscription_pages.helpers(operator),
    )


def _back(test: bool, **values: str) -> str:
    query = urlencode({**({"mode": "test"} if test else {}), **values})
    return "/console/customers/at-risk" + (f"?{query}" if query else "")


@router.post("/{customer_id}/portal-link")
async def send_link(
    customer_id: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_send_link, request, operator, customer_id[:64], fields)


def _send_link(
    request: Request, operator: Operator, customer_id: str, fields: dict[str, str]
) -> Response:
    test = fields.get("mode") == "test"
    if not auth.form_accepted(request, operator, f"risk_link_{customer_id}", fields):
        return _page(request, operator, test, problem="page.form_expired", status=403)
    now = request.app.state.clock.now()
    with pages.unit(request) as session:
        customer = customers.find_by_key(session, operator.account.id, customer_id)
        if customer is None:
            return auth.render(request, operator, "not_found.html", 404)
        if customer.archived_at is not None or not customer.email:
            problem = "archived" if customer.archived_at is not None else "no_email"
            return RedirectResponse(_back(test, problem=problem), 303)
        tenant = Tenant(customer.account_id, customer.livemode)
        with acting.acting_as(operator.actor()):
            row = portal_sessions.email_link(session, tenant, customer, now)
        console_audit.record(
            session,
            request,
            operator,
            "portal_session.create",
            "portal_session",
            row.id,
            livemode=customer.livemode,
        )
    return RedirectResponse(_back(test, done="link_sent"), 303)


@router.post("/{customer_id}/note")
async def add_note(
    customer_id: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_add_note, request, operator, customer_id[:64], fields)


def _add_note(
    request: Request, operator: Operator, customer_id: str, fields: dict[str, str]
) -> Response:
    test = fields.get("mode") == "test"
    if not auth.form_accepted(request, operator, f"risk_note_{customer_id}", fields):
        return _page(request, operator, test, problem="page.form_expired", status=403)
    problem = support_notes.add(request, operator, customer_id, fields.get("note", ""))
    if problem == "not_found":
        return auth.render(request, operator, "not_found.html", 404)
    if problem is not None:
        return _page(request, operator, test, problem=problem, status=422)
    return RedirectResponse(_back(test, done="note_added"), 303)
