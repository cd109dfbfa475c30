"""The worker: a loop that runs every due-work handler, each in its own unit of work.

Handlers take (session, now) and return how many items they processed; a handler that
processed a full batch runs again at once, in a new unit of work, until its work is done.
Staged handlers, which call payment processors between transactions, take a factory of
units of work instead and open as many as they need.
"""

from __future__ import annotations

import functools
import gc
import logging
import threading
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import Clock
from recura.config import Settings
from recura.db.unit_of_work import unit_of_work
from recura.domains.idempotency import service as idempotency
from recura.domains.payments import collection, methods, reconcile
from recura.domains.payments.collection import Units
from recura.domains.subscriptions import notices
from recura.jobs import due_work
from recura.notifications import emails, outbox, pruning, smtp, webhooks_out
from recura.notifications.smtp import Mailer

log = logging.getLogger(__name__)

Handler = Callable[[Session, datetime], int]
# Staged handlers read the clock as they go: their batches take the processors' time.
StagedHandler = Callable[[Units, Clock], int]

# Name -> (handler, batch size: a result this large means there may be more).
HANDLERS: dict[str, tuple[Handler, int | None]] = {
    "billing": (due_work.run_due_subscriptions, due_work.BATCH),
    "payment_methods_expiring": (methods.notify_expiring, methods.EXPIRING_BATCH),
    "renewal_notices": (notices.announce_due, notices.BATCH),
    "purge_idempotency_keys": (idempotency.purge_expired, None),
    "dispatch_events": (outbox.dispatch, outbox.BATCH),
}
# SQLite has one writer: these handlers' batches are smaller there, so that requests never
# wait long for the write lock (see `due.SQLITE_BATCH`).
SQLITE_BATCHES = {"billing": due_work.SQLITE_BATCH}
STAGED: dict[str, tuple[StagedHandler, int]] = {
    "collect_payments": (collection.collect_due, collection.BATCH),
    "reconcile_payments": (reconcile.reconcile_unsettled, reconcile.BATCH),
    "deliver_webhooks": (webhooks_out.deliver_due, webhooks_out.BATCH),
}


def run_once(
    factory: sessionmaker[Session],
    clock: Clock,
    mailer: Mailer | None = None,
    only: Collection[str] | None = None,
    retention: timedelta = pruning.RETENTION,
) -> dict[str, int]:
    """Run each handler once (those named in `only`, when given); one failing handler does
    not stop the others. Without a mailer with an SMTP server, emails are written but not
    sent (and skipped once too old to send)."""
    bind = factory.kw.get("bind")
    sqlite = bind is not None and bind.dialect.name == "sqlite"
    steps = {
        name: (_in_unit(factory, h, clock), SQLITE_BATCHES.get(name, batch) if sqlite else batch)
        for name, (h, batch) in HANDLERS.items()
    }
    steps |= {name: (_staged(factory, h, clock), batch) for name, (h, batch) in STAGED.items()}
    for name, prune in (
        ("prune_webhook_deliveries", pruning.prune_webhook_deliveries),
        ("prune_emails", pruning.prune_emails),
    ):
        keep = functools.partial(prune, retention=retention)
        steps[name] = (_in_unit(factory, keep, clock), pruning.BATCH)
    max_age = smtp.MAX_AGE if mailer is None else mailer.max_age
    expire = functools.partial(emails.expire_untimely, max_age=max_age)
    steps["expire_emails"] = (_in_unit(factory, expire, clock), emails.EXPIRE_BATCH)
    if mailer is not None and mailer.smtp is not None:
        send = functools.partial(emails.send_due, mailer)
        steps["send_emails"] = (_staged(factory, send, clock), emails.BATCH)
    if only is not None:
        steps = {name: step for name, step in steps.items() if name in only}
    done: dict[str, int] = {}
    for name, (step, batch) in steps.items():
        done[name] = 0
        try:
            while True:
                count = step()
                done[name] += count
                if batch is None or count < batch:
                    break
        except Exception:
            log.exception("worker handler %s failed", name)
            done[name] = -1
    return done


def _in_unit(factory: sessionmaker[Session], handler: Handler, clock: Clock) -> Callable[[], int]:
    def step() -> int:
        with unit_of_work(factory) as session:
            return handler(session, clock.now())

    return step


def _staged(
    factory: sessionmaker[Session], handler: StagedHandler, clock: Clock
) -> Callable[[], int]:
    return lambda: handler(lambda: unit_of_work(factory), clock)


# A renewal batch keeps thousands of rows alive while it allocates millions of small
# objects: at the default threshold (700) the collector runs every few renewals and walks
# the whole batch each time, about a sixth of a standalone worker's CPU.
GC_THRESHOLD = (50_000, 20, 100)


def tune_gc() -> None:
    """For a process that is only a worker: what is loaded so far lives as long as the
    process, out of the collector's sight, and collections run less often."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def run_forever(
    factory: sessionmaker[Session],
    clock: Clock,
    interval: float,
    stop: threading.Event,
    mailer: Mailer | None = None,
    retention: timedelta = pruning.RETENTION,
) -> None:
    while not stop.is_set():
        run_once(factory, clock, mailer, retention=retention)
        stop.wait(interval)


class EmbeddedWorker:
    """The worker as a thread inside `recura serve`, so one process is a complete install."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock, settings: Settings) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=run_forever,
            args=(
                factory,
                clock,
                settings.worker_interval_seconds,
                self._stop,
                Mailer.from_settings(settings),
                timedelta(days=settings.notifications_retention_days),
            ),
            name="recura-worker",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
