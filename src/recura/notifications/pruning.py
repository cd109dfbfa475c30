"""Old notifications go: the worker deletes finished webhook deliveries, with their attempts,
and finished emails once they are older than the retention (90 days by default).

Age is the time since a row last changed (`updated_at`: when it succeeded, failed or was
skipped), so a win-back sent two weeks after its row was written is kept as long as any.
Rows still `pending` or `sending`, whatever their age, are never touched: they are work.
Each call deletes at most one batch, in the worker's unit of work, and says how many; the
worker calls again while batches come back full, so a year's backlog never holds one long
transaction or lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura.domains.email_messages import repository as email_messages
from recura.domains.webhook_endpoints import repository as webhooks

RETENTION = timedelta(days=90)
BATCH = 1000
DELIVERIES_DONE = ("succeeded", "failed")
EMAILS_DONE = ("sent", "failed", "skipped")


def prune_webhook_deliveries(
    session: Session, now: datetime, retention: timedelta = RETENTION, limit: int = BATCH
) -> int:
    """Delete up to `limit` finished deliveries last changed before the retention, and
    their attempts; returns how many deliveries."""
    # A replay locks its delivery too: it either goes first (the delivery is pending again
    # and stays) or after, and then queues a new one.
    keys = webhooks.lock_finished_deliveries(session, DELIVERIES_DONE, now - retention, limit)
    if keys:
        webhooks.delete_deliveries_by_key(session, keys)
    return len(keys)


def prune_emails(
    session: Session, now: datetime, retention: timedelta = RETENTION, limit: int = BATCH
) -> int:
    """Delete up to `limit` sent, failed or skipped emails last changed before the
    retention; returns how many."""
    keys = email_messages.lock_finished(session, EMAILS_DONE, now - retention, limit)
    if keys:
        email_messages.delete_by_key(session, keys)
    return len(keys)
