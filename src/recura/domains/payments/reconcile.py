"""Settling attempts whose outcome is not known: a timeout left them `unknown`, or a lost
worker left them `processing` past the stale-claim rule (`staged.CLAIM_EXPIRES`). The
processor is asked under the attempt's own key; nothing is ever charged under a new one
while an attempt is unsettled."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura import staged
from recura.clock import Clock
from recura.db.unit_of_work import Units
from recura.domains.common.errors import DomainError
from recura.domains.common.tenant import Tenant
from recura.domains.payments import collection, repository
from recura.domains.payments.collection import Pending
from recura.gateways.base import ChargeResult

log = logging.getLogger(__name__)

BATCH = 100
# How long an unknown attempt waits before it is asked about again.
ASK_AGAIN_AFTER = timedelta(minutes=1)


def claim(session: Session, now: datetime, limit: int = BATCH) -> list[Pending]:
    """Attempts to ask about, marked `processing` as claimed now: while they are asked,
    they are in flight like any attempt, and a reconciler lost meanwhile leaves them to
    the stale-claim rule."""
    unsettled = repository.lock_unsettled(
        session, staged.abandoned_before(now), now - ASK_AGAIN_AFTER, limit
    )
    found = []
    for payment in unsettled:
        tenant = Tenant(payment.account_id, payment.livemode)
        payment.updated_at = now
        try:
            pending = collection.pending_of(session, tenant, payment)
        except DomainError:  # its processor is no longer connected: asked again later
            log.exception("cannot ask about payment %s", payment.id)
            continue
        payment.status = "processing"
        found.append(pending)
    return found


class Reconciling(staged.Kind[Pending, ChargeResult | None]):
    """Unsettled attempts as a staged batch: claimed, asked about (`collection.lookup`),
    finished."""

    name = "reconciled payments"

    def __init__(self, deadline: float = collection.DEADLINE_SECONDS) -> None:
        self.deadline = deadline

    def claim(self, session: Session, now: datetime, limit: int) -> list[Pending]:
        return claim(session, now, limit)

    def send(self, item: Pending, deadline: staged.Deadline) -> ChargeResult | None:
        return deadline.call(lambda: collection.lookup(item))

    def unanswered(self, item: Pending, error: Exception) -> ChargeResult | None:
        return None  # still unknown: asked again later

    def record(
        self, session: Session, item: Pending, answer: ChargeResult | None, now: datetime
    ) -> None:
        collection.finish(session, item, answer, now)

    def record_many(
        self,
        session: Session,
        answered: Sequence[tuple[Pending, ChargeResult | None]],
        now: datetime,
    ) -> None:
        collection.finish_many(session, answered, now)


def reconcile_unsettled(
    units: Units,
    clock: Clock,
    limit: int = BATCH,
    deadline: float = collection.DEADLINE_SECONDS,
) -> int:
    return staged.run(units, clock, Reconciling(deadline), limit)
