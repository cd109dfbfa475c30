"""Every query of the funnel metrics: what happened in a time range, as plain rows."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import (
    Account,
    CancellationFeedback,
    CheckoutSession,
    Event,
    Plan,
    SupportRequest,
)
from recura.domains.common.tenant import Tenant

_CHUNK = 5000


def timezone_of(session: Session, account_id: str) -> str:
    return str(session.scalar(select(Account.timezone).where(Account.id == account_id)))


def subscription_events(
    session: Session, tenant: Tenant, start: datetime, end: datetime, types: Collection[str]
) -> list[tuple[str, str, datetime, dict[str, Any], int, str | None]]:
    """(object id, type, occurred_at, data, mrr_delta, currency) of the tenant's events of
    `types` that happened in [start, end), in the order they happened."""
    e = Event
    stmt = tenant.scope(
        select(e.object_id, e.type, e.occurred_at, e.data, e.mrr_delta, e.mrr_currency), e
    ).where(e.type.in_(list(types)), e.occurred_at >= start, e.occurred_at < end)
    return [tuple(r) for r in session.execute(stmt.order_by(e.occurred_at, e.id))]


def events_of(
    session: Session, tenant: Tenant, subscriptions: Collection[str], after: datetime, type_: str
) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(object id, occurred_at, data) of the events of `type_` of these subscriptions that
    happened at or after `after`."""
    found: list[tuple[str, datetime, dict[str, Any]]] = []
    listed = sorted(subscriptions)
    for index in range(0, len(listed), _CHUNK):
        e = Event
        stmt = tenant.scope(select(e.object_id, e.occurred_at, e.data), e).where(
            e.object_id.in_(listed[index : index + _CHUNK]),
            e.type == type_,
            e.occurred_at >= after,
        )
        found.extend(tuple(r) for r in session.execute(stmt))
    return found


def plans_of_product(session: Session, tenant: Tenant, product: str) -> set[str]:
    return set(
        session.scalars(tenant.scope(select(Plan.id), Plan).where(Plan.product_id == product))
    )


def checkouts(
    session: Session, tenant: Tenant, start: datetime, end: datetime, plans: Collection[str] | None
) -> list[tuple[datetime, str | None, str]]:
    """(created_at, furthest stage, status) of the checkout sessions made in [start, end)."""
    c = CheckoutSession
    stmt = tenant.scope(select(c.created_at, c.stage, c.status), c).where(
        c.created_at >= start, c.created_at < end
    )
    if plans is not None:
        stmt = stmt.where(c.plan_id.in_(list(plans)))
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def cancellation_flows(
    session: Session, tenant: Tenant, start: datetime, end: datetime
) -> list[tuple[datetime, str | None, str, bool]]:
    """(created_at, reason, outcome, canceled) of the cancellation flows begun in range."""
    f = CancellationFeedback
    stmt = tenant.scope(select(f.created_at, f.reason, f.outcome, f.canceled), f).where(
        f.created_at >= start, f.created_at < end
    )
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def support_requests(
    session: Session, tenant: Tenant, start: datetime, end: datetime
) -> list[tuple[datetime, datetime | None]]:
    """(created_at, first_response_at) of the support requests opened in range."""
    r = SupportRequest
    stmt = tenant.scope(select(r.created_at, r.first_response_at), r).where(
        r.created_at >= start, r.created_at < end
    )
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]
