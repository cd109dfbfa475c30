from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import CancellationFeedback
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get(
    session: Session, tenant: Tenant, feedback_id: str, *, fresh: bool = False
) -> CancellationFeedback | None:
    """The flow; `fresh` reads it again from the database (after taking its subscription's
    lock, which every writer of a flow holds, so what it says is settled)."""
    stmt = tenant.scope(select(CancellationFeedback), CancellationFeedback)
    stmt = stmt.where(CancellationFeedback.id == feedback_id)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return session.scalar(stmt)


def offered(session: Session, tenant: Tenant, subscription_id: str) -> bool:
    """Whether the subscription was ever shown an offer."""
    stmt = tenant.scope(select(CancellationFeedback.id), CancellationFeedback).where(
        CancellationFeedback.subscription_id == subscription_id,
        CancellationFeedback.offer_kind.isnot(None),
    )
    return session.scalar(stmt.limit(1)) is not None


def latest(session: Session, tenant: Tenant, subscription_id: str) -> CancellationFeedback | None:
    """The subscription's most recent flow."""
    stmt = tenant.scope(select(CancellationFeedback), CancellationFeedback).where(
        CancellationFeedback.subscription_id == subscription_id
    )
    stmt = stmt.execution_options(populate_existing=True)
    return session.scalar(stmt.order_by(CancellationFeedback.id.desc()).limit(1))


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    *,
    subscription: str | None = None,
    customer: str | None = None,
    reason: str | None = None,
    outcome: str | None = None,
    offer_kind: str | None = None,
    canceled: bool | None = None,
    created_gte: datetime | None = None,
    created_lt: datetime | None = None,
) -> Page[CancellationFeedback]:
    model = CancellationFeedback
    stmt = tenant.scope(select(model), model)
    if subscription is not None:
        stmt = stmt.where(model.subscription_id == subscription)
    if customer is not None:
        stmt = stmt.where(model.customer_id == customer)
    if reason is not None:
        stmt = stmt.where(model.reason == reason)
    if outcome is not None:
        stmt = stmt.where(model.outcome == outcome)
    if offer_kind is not None:
        stmt = stmt.where(model.offer_kind == offer_kind)
    if canceled is not None:
        stmt = stmt.where(model.canceled == canceled)
    if created_gte is not None:
        stmt = stmt.where(model.created_at >= created_gte)
    if created_lt is not None:
        stmt = stmt.where(model.created_at < created_lt)
    return paginate(session, stmt, model, limit, starting_after)
