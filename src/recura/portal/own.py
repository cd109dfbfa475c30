"""A signed-in subscriber's own subscription, as the pages under
/portal/subscriptions/{id}/ find it: another customer's (or tenant's) is not found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.db.models import Subscription
from recura.domains.cancellations import offers
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.plans import repository as plans
from recura.portal import pages, signed_in
from recura.portal.signed_in import Visitor
from recura.web import csrf


@dataclass(frozen=True, slots=True)
class Own:
    visitor: Visitor
    sub: Subscription
    plan_name: str


def load(
    session: Session, request: Request, subscription_id: str, *, lock: bool = False
) -> Own | Response:
    """The visitor and their subscription, or the response to give instead: sign in
    again, or 404."""
    visitor = signed_in.visitor(session, request)
    if visitor is None:
        return signed_in.sign_in_again(session, request)
    try:
        sub = offers.subscription(
            session, visitor.tenant, subscription_id, visitor.customer.id, lock=lock
        )
    except NotFoundError:
        return pages.not_found(request)
    if sub.livemode != visitor.tenant.livemode:
        return pages.not_found(request)
    plan = plans.plan_by_key(session, visitor.tenant.account_id, sub.plan_id)
    return Own(visitor, sub, plan.name)


Work = Callable[[Request, str, dict[str, str]], Response]


async def posted(request: Request, subscription_id: str, work: Work) -> Response:
    """A form post: its fields read here, `work` (the database's) in a worker thread."""
    return await run_in_threadpool(work, request, subscription_id, await pages.form(request))


def accepted(request: Request, own: Own, form: str, fields: dict[str, str]) -> bool:
    return csrf.form_accepted(request, own.visitor.portal_session.id, form, fields)


def quantity(value: Decimal) -> str:
    """A quantity as people write it: 5, 2.5 (never 1E+1)."""
    return f"{value.normalize():f}"


def path(sub: Subscription, page: str) -> str:
    return f"/portal/subscriptions/{sub.id}/{page}"


def plan_name_of(session: Session, tenant: Tenant, plan_id: str) -> str:
    return plans.plan_by_key(session, tenant.account_id, plan_id).name
