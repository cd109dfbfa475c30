"""The one runner of due subscription work (renewals, trial ends, cancellations, changes),
for the worker in real time and for test clocks in theirs.

Claims take row locks with SKIP LOCKED on PostgreSQL, so N workers share the due work
without waiting for each other or doing any twice; SQLite serialises writers anyway. A batch
that fails as a whole is rolled back and redone one subscription at a time, each in a
savepoint: one that fails is logged and retried later, and does not undo the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura.db.models import Subscription
from recura.db.records import (
    SubscriptionLike,
    SubscriptionRow,
)
from recura.domains.common.tenant import Tenant
from recura.domains.subscriptions import cycle, renewals, repository

log = logging.getLogger(__name__)

BATCH = 1000
# SQLite has one writer for the whole database, and a batch holds it from its claim to its
# commit: about 3 ms a renewal on a busy 2-core machine, so 1,000 would keep every other
# write waiting for 3 s. This many keep the wait well under a second.
SQLITE_BATCH = 200
RETRY_AFTER = timedelta(minutes=15)


def batch_size(dialect: str) -> int:
    return SQLITE_BATCH if dialect == "sqlite" else BATCH


@dataclass(frozen=True, slots=True)
class OnClock:
    """The subscriptions of one test clock, which move only when it does."""

    tenant: Tenant
    clock_id: str


# Which subscriptions a run takes: those in real time (None), or one test clock's.
Scope = OnClock | None


@dataclass(slots=True)
class Run:
    claimed: int = 0
    failed: list[str] = field(default_factory=list)  # retried after RETRY_AFTER


def run(session: Session, now: datetime, scope: Scope = None, limit: int | None = None) -> Run:
    """One batch of due subscriptions.

    Plain renewals, nearly all of the work, go through `renew_many` together; the rest
    (trial ends, cancellations, changes, catch-up periods) one subscription at a time.
    """
    done = Run()
    if limit is None:
        limit = batch_size(session.get_bind().dialect.name)
    claimed = claim_records(session, now, scope, limit)
    done.claimed = len(claimed)
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
            rest = claim(session, now, scope, limit)
        else:
            # Still due after one renewal (catching up every missed period): one by one.
            behind = [s for s in plain if s.next_action_at is not None and s.next_action_at <= now]
            rest += _loaded(session, behind)
    for sub in rest:
        due = sub.next_action_at is not None and sub.next_action_at <= now
        if due and not _run_one(session, sub, now):
            done.failed.append(sub.id)
    return done


def claim(session: Session, now: datetime, scope: Scope, limit: int) -> list[Subscription]:
    clock = None if scope is None else (scope.tenant, scope.clock_id)
    return repository.due_for_update(session, now, clock, limit)


def claim_records(
    session: Session, now: datetime, scope: Scope, limit: int
) -> list[SubscriptionRow]:
    """`claim`, the rows read as plain records: renewals read and set their attributes as
    they would a Subscription's, and store them with one statement."""
    clock = None if scope is None else (scope.tenant, scope.clock_id)
    return repository.due_rows_for_update(session, now, clock, limit)


def _loaded(session: Session, subs: Sequence[SubscriptionLike]) -> list[Subscription]:
    """The session's objects for these claimed records (their rows are locked already):
    the one-by-one path works on those."""
    if not subs:
        return []
    found = repository.subscriptions_by_key(session, [(s.account_id, s.id) for s in subs])
    return [found[(sub.account_id, sub.id)] for sub in subs]


def _run_one(session: Session, sub: Subscription, now: datetime) -> bool:
    tenant = Tenant(sub.account_id, sub.livemode)
    try:
        with session.begin_nested():
            cycle.run_due(session, tenant, sub, now)
    except Exception:
        log.exception("subscription %s failed; retrying in %s", sub.id, RETRY_AFTER)
        session.refresh(sub)
        sub.next_action_at = now + RETRY_AFTER
        return False
    return True
