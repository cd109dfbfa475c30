"""Renewal notices: a week before a yearly subscription renews, `invoice.upcoming` says
when and for how much, so the subscriber hears of a large charge before it is made.
Monthly renewals are not announced: the charge is small and expected.

The worker announces real-time subscriptions; a test clock announces its own as it
advances (`due_at`, `announce_due`), on the clock's time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura.db.models import Subscription
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.subscriptions import repository, upcoming

NOTICE = timedelta(days=7)
BATCH = 200


def announce_due(session: Session, now: datetime, limit: int = BATCH) -> int:
    """The worker's part: real-time subscriptions renewing within a week."""
    found = repository.lock_to_announce(session, now, NOTICE, limit)
    for sub in found:
        announce(session, Tenant(sub.account_id, sub.livemode), sub, now)
    return len(found)


def due_at(session: Session, tenant: Tenant, clock_id: str, now: datetime) -> datetime | None:
    """When the clock's next renewal notice falls due (maybe already), or None."""
    end = repository.next_announceable_end(session, tenant, clock_id, now)
    return None if end is None else end - NOTICE


def announce_on_clock(
    session: Session, tenant: Tenant, clock_id: str, now: datetime, limit: int = BATCH
) -> None:
    """One batch of the clock's notices due at `now`; `due_at` then says now again while
    any is left."""
    for sub in repository.to_announce_on_clock(session, tenant, clock_id, now, NOTICE, limit):
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
