"""The outbox: domain events, once committed, become the messages they call for.

An event is written in the transaction that causes it, with `dispatched_at` empty. The
dispatcher claims a batch of them (SKIP LOCKED, so several workers share the work), asks
each fan-out which messages they mean (a delivery per matching webhook endpoint, the
subscriber's emails) and writes those, marking the events dispatched in the same
transaction. A crash before the commit dispatches the batch again; the messages' unique
keys, (event, endpoint) and (event, template), make that harmless. Sending happens later,
from the message rows, never inside this transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Event
from recura.domains.documents import making
from recura.domains.events import repository as events
from recura.notifications import emails, webhooks_out

BATCH = 500

# Each takes the claimed events and adds the message rows they call for to the session.
# The documents' PDFs to make come first: an email that attaches one is written in the same
# transaction as the row that says it is to be made (`emails.prepare` waits for it).
FanOut = Callable[[Session, Sequence[Event], datetime], None]
FAN_OUTS: tuple[FanOut, ...] = (making.queue, webhooks_out.fan_out, emails.fan_out)


def dispatch(session: Session, now: datetime, limit: int = BATCH) -> int:
    """Turn up to `limit` undispatched events into messages; returns how many."""
    claimed = events.lock_undispatched(session, limit)
    if not claimed:
        return 0
    for fan_out in FAN_OUTS:
        fan_out(session, claimed, now)
    events.mark_dispatched(session, claimed, now)
    return len(claimed)
