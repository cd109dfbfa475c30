"""The billing clock: find subscriptions whose next action is due, claim a batch, run it.

Claims take row locks with SKIP LOCKED on PostgreSQL, so N workers share the due work
without waiting for each other or doing any twice; SQLite serialises writers anyway. A batch
that fails as a whole is rolled back and redone one subscription at a time, each in a
savepoint: one that fails is logged and retried later, and does not undo the rest.
Subscriptions on a test clock only move when their clock does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from recura.db.models import Subscription
from recura.db.records import (
    SUBSCRIPTION_COLUMNS,
    SubscriptionLike,
    SubscriptionRow,
    subscription_rows,
)
from recura.domains.common.tenant import Tenant
from recura.domains.subscriptions import cycle, renewals

log = logging.getLogger(__name__)

BATCH = 1000
RETRY_AFTER = timedelta(minutes=15)


def claim(session: Session, now: datetime, limit: int = BATCH) -> list[Subscription]:
    return list(session.scalars(_claiming(select(Subscription), now, limit)))


def claim_records(session: Session, now: datetime, limit: int = BATCH) -> list[SubscriptionRow]:
    """`claim`, the rows read as plain records: renewals read and set their attributes as
    they would a Subscription's, and store them with one statement."""
    stmt = _claiming(select(*SUBSCRIPTION_COLUMNS), now, limit)
    return subscription_rows(session, stmt)


def _claiming(stmt: Select[Any], now: datetime, limit: int) -> Select[Any]:
    return (
        stmt.where(Subscription.next_action_at <= now, Subscription.test_clock_id.is_(None))
        .order_by(Subscription.next_action_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def run_due_subscriptions(session: Session, now: datetime) -> int:
    """One batch of due subscriptions; returns how many were claimed.

    Plain renewals, nearly all of the work, go through `renew_many` together; the rest
    (trial ends, cancellations, changes, catch-up periods) one subscription at a time.
    """
    claimed = claim_records(session, now)
    plain, others = renewals.split_plain(claimed, now)
    rest = _loaded(session, others)
    if plain:
        # No savepoint around the batch: PostgreSQL's foreign-key checks on rows written
        # inside a savepoint cost several times more. If it fails, the batch is rolled back
        # and claimed again, then done one subscription at a time.
        try:
            renewals.renew_many(session, [(b, b) for b in renewals.load(session, plain)], now)
        except Exception:
            log.exception("renewing %d subscriptions together failed; one by one", len(plain))
            session.rollback()
            rest = claim(session, now)
        else:
            # Still due after one renewal (catching up every missed period): one by one.
            behind = [s for s in plain if s.next_action_at is not None and s.next_action_at <= now]
            rest += _loaded(session, behind)
    for sub in rest:
        if sub.next_action_at is not None and sub.next_action_at <= now:
            _run_one(session, sub, now)
    return len(claimed)


def _loaded(session: Session, subs: Sequence[SubscriptionLike]) -> list[Subscription]:
    """The session's objects for these claimed records (their rows are locked already):
    the one-by-one path works on those."""
    if not subs:
        return []
    found = renewals.by_key(session, Subscription, [(s.account_id, s.id) for s in subs])
    return [found[(sub.account_id, sub.id)] for sub in subs]


def _run_one(session: Session, sub: Subscription, now: datetime) -> None:
    tenant = Tenant(sub.account_id, sub.livemode)
    try:
        with session.begin_nested():
            cycle.run_due(session, tenant, sub, now)
    except Exception:
        log.exception("billing subscription %s failed; retrying in %s", sub.id, RETRY_AFTER)
        session.refresh(sub)
        sub.next_action_at = now + RETRY_AFTER
