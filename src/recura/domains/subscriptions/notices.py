"""Renewal notices: a week before a yearly subscription renews, `invoice.upcoming` says
when and for how much, so the subscriber hears of a large charge before it is made.
Monthly renewals are not announced: the charge is small and expected.

The worker announces real-time subscriptions; a test clock announces its own as it
advances (`due_at`, `announce_due`), on the clock's time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from recura.db.models import Subscription
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.subscriptions import upcoming

NOTICE = timedelta(days=7)
BATCH = 200


def _announceable() -> ColumnElement[bool]:
    """Renews, yearly or longer, and this period's renewal has not been announced."""
    return and_(
        Subscription.status.in_(("active", "past_due")),
        Subscription.cancel_at_period_end.is_(False),
        or_(
            Subscription.interval_unit == "year",
            and_(Subscription.interval_unit == "month", Subscription.interval_count >= 12),
        ),
        or_(
            Subscription.renewal_notice_for.is_(None),
            Subscription.renewal_notice_for != Subscription.current_period_end,
        ),
    )


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        _announceable(),
        Subscription.current_period_end > now,
        Subscription.current_period_end <= now + NOTICE,
    )


def announce_due(session: Session, now: datetime, limit: int = BATCH) -> int:
    """The worker's part: real-time subscriptions renewing within a week."""
    stmt = (
        select(Subscription)
        .where(_due(now), Subscription.test_clock_id.is_(None))
        .order_by(Subscription.current_period_end)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    found = list(session.scalars(stmt))
    for sub in found:
        announce(session, Tenant(sub.account_id, sub.livemode), sub, now)
    return len(found)


def due_at(session: Session, tenant: Tenant, clock_id: str, now: datetime) -> datetime | None:
    """When the clock's next renewal notice falls due (maybe already), or None."""
    end = session.scalar(
        tenant.scope(select(func.min(Subscription.current_period_end)), Subscription).where(
            _announceable(),
            Subscription.test_clock_id == clock_id,
            Subscription.current_period_end > now,
        )
    )
    return None if end is None else end - NOTICE


def announce_on_clock(
    session: Session, tenant: Tenant, clock_id: str, now: datetime, limit: int = BATCH
) -> None:
    """One batch of the clock's notices due at `now`; `due_at` then says now again while
    any is left."""
    stmt = tenant.scope(select(Subscription), Subscription).where(
        _due(now), Subscription.test_clock_id == clock_id
    )
    stmt = stmt.order_by(Subscription.current_period_end, Subscription.id).limit(limit)
    for sub in list(session.scalars(stmt)):
        announce(session, tenant, sub, now)


def announce(session: Session, tenant: Tenant, sub: Subscription, now: datetime) -> None:
    draft = upcoming.invoice(session, tenant, sub.customer_id, sub.id, now)
    data = payloads.InvoiceUpcoming(
        id=sub.id,
        subscription=sub.id,
        customer=sub.customer_id,
        plan=sub.plan_id,
        renews_at=sub.current_period_end,
        amount=draft.amount_due,
        currency=draft.currency,
    )
    events.record(session, tenant, data, now)
    sub.renewal_notice_for = sub.current_period_end
    sub.updated_at = now
