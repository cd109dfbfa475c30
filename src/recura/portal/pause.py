"""Pausing (1 to 3 months) and resuming from the portal, when the account lets its
subscribers (`cancellations.portal.portal_pause` and `portal_resume`)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from recura.core.lifecycle import IllegalTransition
from recura.domains.cancellations import offers
from recura.domains.cancellations import portal as portal_rules
from recura.domains.common.errors import DomainError
from recura.portal import own, pages
from recura.portal.own import Own

log = logging.getLogger(__name__)
router = APIRouter()
FORM, RESUME = "pause", "resume"
PAUSABLE = ("active",)


@router.get("/subscriptions/{subscription_id}/pause")
def ask(subscription_id: str, request: Request) -> Response:
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id)
        if not isinstance(found, Own):
            return found
        if not portal_rules.pause_enabled(found.visitor.account):
            return pages.not_found(request)
        return _page(session, request, found)


def _page(
    session: Session,
    request: Request,
    found: Own,
    *,
    state: str | None = None,
    months: str = "1",
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    visitor, sub = found.visitor, found.sub
    if state is None:
        if sub.status == "paused":
            state = "paused"
        else:
            can = sub.status in PAUSABLE and not sub.cancel_at_period_end
            state = "ask" if can else "cannot"
    choices = [(m, offers.resume_at(sub, m, visitor.now)) for m in portal_rules.PAUSE_MONTHS]
    return pages.PAGES.render(
        request,
        "pause.html",
        visitor.frame(),
        status,
        state=state,
        sub=sub,
        plan_name=found.plan_name,
        choices=choices,
        months=months,
        error=error,
        notice=notice,
        post_url=own.path(sub, "pause"),
        resume_url=own.path(sub, "resume"),
    )


@router.post("/subscriptions/{subscription_id}/pause")
async def pause(subscription_id: str, request: Request) -> Response:
    return await own.posted(request, subscription_id, _pause)


def _pause(request: Request, subscription_id: str, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id, lock=True)
        if not isinstance(found, Own):
            return found
        visitor, sub = found.visitor, found.sub
        if not portal_rules.pause_enabled(visitor.account):
            return pages.not_found(request)
        months = fields.get("months", "")[:2]
        if not own.accepted(request, found, FORM, fields):
            return _page(
                session, request, found, months=months, notice="page.form_expired", status=403
            )
        if sub.status == "paused":
            return _page(session, request, found, state="paused")  # a second click
        if months not in {str(m) for m in portal_rules.PAUSE_MONTHS}:
            return _page(
                session, request, found, months=months, error="pause.bad_months", status=422
            )
        try:
            portal_rules.portal_pause(
                session,
                visitor.tenant,
                sub.id,
                request.app.state.clock.now(),
                customer_id=visitor.customer.id,
                months=int(months),
            )
        except (DomainError, IllegalTransition) as error:
            log.info("portal pause of %s refused: %s", sub.id, error)
            return _page(session, request, found, state="cannot", status=409)
        return _page(session, request, found, state="paused")


@router.post("/subscriptions/{subscription_id}/resume")
async def resume(subscription_id: str, request: Request) -> Response:
    return await own.posted(request, subscription_id, _resume)


def _resume(request: Request, subscription_id: str, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        found = own.load(session, request, subscription_id, lock=True)
        if not isinstance(found, Own):
            return found
        visitor, sub = found.visitor, found.sub
        if not portal_rules.pause_enabled(visitor.account):
            return pages.not_found(request)
        if not own.accepted(request, found, RESUME, fields):
            return _page(session, request, found, notice="page.form_expired", status=403)
        if sub.status == "paused":
            try:
                portal_rules.portal_resume(
                    session,
                    visitor.tenant,
                    sub.id,
                    request.app.state.clock.now(),
                    customer_id=visitor.customer.id,
                )
            except (DomainError, IllegalTransition) as error:
                log.info("portal resume of %s refused: %s", sub.id, error)
                return _page(session, request, found, state="cannot", status=409)
        return RedirectResponse("/portal", status_code=303)
