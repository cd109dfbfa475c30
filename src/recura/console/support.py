"""The support inbox: subscribers' requests from the portal, newest first, by status (the
open ones wait for an answer), each with its thread, a reply form and closing it. Replies
and closing are `domains/support_requests`' merchant side, as the API's are; how long the
subscriber waited for the first answer is shown beside each request."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, modes, operations, pages
from recura.console.auth import Operator
from recura.db.models import SupportRequest
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.domains.customers import repository as customers
from recura.domains.support_requests import repository as requests
from recura.domains.support_requests import service
from recura.domains.support_requests.categories import CATEGORY_LABELS, STATUSES

router = APIRouter(prefix="/console/support")
READ = auth.require("support.read")
WRITE = auth.require("support.write")
DONE = {"replied", "closed"}
MAX_REPLY_BYTES = 24 * 1024


def waited(request: SupportRequest) -> timedelta | None:
    """From the question to the merchant's first answer; None while there is none."""
    if request.first_response_at is None:
        return None
    return request.first_response_at - request.created_at


def duration(span: timedelta | None, locale: str) -> str:
    """A wait as people say it: "3 h 20 min", "2 d 4 h", "under a minute"."""
    if span is None:
        return operations.text("support.no_answer_yet", locale)
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return operations.text("support.under_a_minute", locale)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return operations.text("support.days_hours", locale, days=days, hours=hours)
    if hours:
        return operations.text("support.hours_minutes", locale, hours=hours, minutes=minutes)
    return operations.text("support.minutes", locale, minutes=minutes)


@router.get("")
def inbox(
    request: Request,
    status: str = "open",
    after: str = "",
    mode: str = "",
    operator: Operator = Depends(READ),
) -> HTMLResponse:
    test = mode == modes.TEST
    chosen = status if status in STATUSES else ""
    tenant = operations.tenant(operator, test)
    account_id = operator.account.id
    with pages.unit(request) as session:
        found = service.page(
            session,
            tenant,
            limit=operations.PER_PAGE,
            starting_after=after[:64] or None,
            status=chosen or None,
        )
        keys = {(account_id, r.customer_id) for r in found.items}
        names = {
            c.id: c.name or c.email or c.id
            for c in customers.customers_by_key(session, keys).values()
        }
        session.expunge_all()
    # "all" is kept in links: no status would mean the default, the open ones.
    filters = {"status": chosen or "all", "mode": modes.TEST if test else ""}
    more = None
    if found.has_more:
        more = operations.link("/console/support", **filters, after=found.items[-1].id)
    return operations.render(
        request,
        operator,
        "support.html",
        requests=found.items,
        names=names,
        filters=filters,
        statuses=STATUSES,
        test=test,
        waited=lambda r: duration(waited(r), operator.locale),
        category=lambda r: _category(r.category, operator.locale),
        first_page=operations.link("/console/support", **filters) if after else None,
        more=more,
        other_mode="/console/support" + ("?status=open" if test else "?status=open&mode=test"),
    )


def _category(value: str, locale: str) -> str:
    labels = CATEGORY_LABELS.get(value, {})
    return labels.get(locale) or labels.get("en") or value


def _page(
    request: Request,
    operator: Operator,
    request_id: str,
    *,
    done: str | None = None,
    error: str | None = None,
    reply: str = "",
    status: int = 200,
) -> HTMLResponse:
    account_id = operator.account.id
    with pages.unit(request) as session:
        found = requests.find_by_key(session, account_id, request_id)
        if found is None:
            return auth.render(request, operator, "not_found.html", 404)
        tenant = operations.tenant(operator, not found.livemode)
        thread = service.thread(session, tenant, found.id)
        customer = customers.by_key(session, account_id, found.customer_id)
        session.expunge_all()
    return operations.render(
        request,
        operator,
        "support_request.html",
        status,
        item=thread.request,
        messages=thread.messages,
        customer=customer,
        waited=duration(waited(thread.request), operator.locale),
        category=_category(thread.request.category, operator.locale),
        done=done if done in DONE else None,
        error=error,
        reply=reply,
    )


@router.get("/{request_id}")
def support_request(
    request_id: str, request: Request, done: str = "", operator: Operator = Depends(READ)
) -> HTMLResponse:
    return _page(request, operator, request_id[:64], done=done)


@router.post("/{request_id}/reply")
async def reply(request_id: str, request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request, MAX_REPLY_BYTES)
    return await run_in_threadpool(_act, request, operator, request_id[:64], fields, "reply")


@router.post("/{request_id}/close")
async def close(request_id: str, request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_act, request, operator, request_id[:64], fields, "close")


def _act(
    request: Request, operator: Operator, request_id: str, fields: dict[str, str], verb: str
) -> Response:
    body = fields.get("body", "")
    if not auth.form_accepted(request, operator, f"support_{verb}_{request_id}", fields):
        return _page(
            request, operator, request_id, error="page.form_expired", reply=body, status=403
        )
    if verb == "reply" and not body.strip():
        return _page(request, operator, request_id, error="support.error.empty", status=422)
    now: datetime = request.app.state.clock.now()
    try:
        with pages.unit(request) as session:
            found = requests.find_by_key(session, operator.account.id, request_id)
            if found is None:
                raise NotFoundError("support request", request_id)
            tenant = operations.tenant(operator, not found.livemode)
            if verb == "reply":
                service.merchant_reply(session, tenant, found.id, body, now)
            else:
                service.merchant_close(session, tenant, found.id, now)
            audit.record(
                session,
                request,
                operator,
                f"support_request.{verb}",
                "support_request",
                found.id,
                livemode=found.livemode,
            )
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    except ConflictError:
        return _page(
            request, operator, request_id, error="support.error.closed", reply=body, status=409
        )
    except InvalidError:
        return _page(
            request, operator, request_id, error="support.error.too_long", reply=body, status=422
        )
    done = "replied" if verb == "reply" else "closed"
    return RedirectResponse(f"/console/support/{request_id}?done={done}", status_code=303)
