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

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from recura.db.base import TenantColumns
from recura.db.models import EmailMessage, WebhookAttempt, WebhookDelivery

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
    keys = _oldest_done(session, WebhookDelivery, DELIVERIES_DONE, now - retention, limit)
    if keys:
        _delete(session, WebhookAttempt, WebhookAttempt.delivery_id, keys)
        _delete(session, WebhookDelivery, WebhookDelivery.id, keys)
    return len(keys)


def prune_emails(
    session: Session, now: datetime, retention: timedelta = RETENTION, limit: int = BATCH
) -> int:
    """Delete up to `limit` sent, failed or skipped emails last changed before the
    retention; returns how many."""
    keys = _oldest_done(session, EmailMessage, EMAILS_DONE, now - retention, limit)
    if keys:
        _delete(session, EmailMessage, EmailMessage.id, keys)
    return len(keys)


def _oldest_done(
    session: Session,
    model: type[EmailMessage] | type[WebhookDelivery],
    done: tuple[str, ...],
    before: datetime,
    limit: int,
) -> list[tuple[str, str]]:
    """(account, id) of up to `limit` rows finished before `before`, locked."""
    stmt = (
        select(model.account_id, model.id)
        .where(model.status.in_(done), model.updated_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(account_id, row_id) for account_id, row_id in session.execute(stmt)]


def _delete(
    session: Session,
    model: type[TenantColumns],
    key: InstrumentedAttribute[str],
    keys: list[tuple[str, str]],
) -> None:
    """Delete the rows of `model` whose (account_id, `key`) is among `keys`."""
    stmt = delete(model).where(tuple_(model.account_id, key).in_(keys))
    session.execute(stmt.execution_options(synchronize_session=False))
