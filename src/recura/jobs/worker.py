"""The worker: a loop of fair passes over every due-work handler.

Handlers take (session, now) and return how many items they processed; a handler that
processed a full batch runs again at once, in a new unit of work, until its work is done
or its slice of the pass (`Slice`: a number of batches, a time budget) is used up; then
the next handler has its turn, and what is left waits for the next pass, which starts at
once. So one handler's backlog (a failing endpoint's deliveries, a month's renewals)
delays the others by a slice at most. Staged handlers, which send payments, webhooks and
emails between transactions (`recura.staged`), take a factory of units of work instead.
"""

from __future__ import annotations

import functools
import gc
import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ParamSpec

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import Clock
from recura.config import Settings
from recura.db.unit_of_work import Units, unit_of_work
from recura.domains.customers import vat_checks
from recura.domains.documents import making
from recura.domains.efactura import refreshing, sending
from recura.domains.einvoices import service as einvoices
from recura.domains.funnels import rollups as funnel_rollups
from recura.domains.idempotency import service as idempotency
from recura.domains.metrics import rollups
from recura.domains.payments import collection, methods, reconcile
from recura.domains.subscriptions import notices
from recura.jobs import due_work
from recura.notifications import announcements, emails, outbox, pruning, smtp, webhooks_out
from recura.notifications.smtp import Mailer

log = logging.getLogger(__name__)
P = ParamSpec("P")

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
    "announcement_emails": (announcements.write_due, announcements.CHUNK),
    "metric_rollups": (rollups.fold_due, rollups.BATCH),
    "funnel_rollups": (funnel_rollups.fold_due, funnel_rollups.BATCH),
}
# SQLite has one writer: these handlers' batches are smaller there, so that requests never
# wait long for the write lock (see `due.SQLITE_BATCH`).
SQLITE_BATCHES = {
    "billing": due_work.SQLITE_BATCH,
    "announcement_emails": announcements.SQLITE_CHUNK,
    "metric_rollups": rollups.SQLITE_BATCH,
    "funnel_rollups": funnel_rollups.SQLITE_BATCH,
}
STAGED: dict[str, tuple[StagedHandler, int]] = {
    "vat_checks": (vat_checks.check_due, vat_checks.BATCH),
    "collect_payments": (collection.collect_due, collection.BATCH),
    "reconcile_payments": (reconcile.reconcile_unsettled, reconcile.BATCH),
    "deliver_webhooks": (webhooks_out.deliver_due, webhooks_out.BATCH),
    # Validation runs between its transactions (domains/einvoices/service.py); a pass
    # makes e-invoices before it uploads them.
    "einvoices": (einvoices.make_due, einvoices.SQLITE_BATCH),
    "refresh_anaf_tokens": (refreshing.refresh_due, refreshing.BATCH),
    "upload_einvoices": (sending.upload_due, sending.BATCH),
    # Before the emails: an invoice's email waits for its PDF.
    "invoice_pdfs": (making.make_due, making.BATCH),
}


# Handlers each pass runs before the others: VAT numbers whose confirmation has grown too
# old are checked with VIES before the renewals their invoices' VAT depends on.
FIRST = ("vat_checks",)


@dataclass(frozen=True, slots=True)
class Slice:
    """How much of one pass a handler may take: at most `batches` batches, and no new
    batch once `seconds` have gone by since its first. What is left waits for the next
    pass, after every other handler has had its slice."""

    batches: int = 10
    seconds: float = 10.0


SLICE = Slice()


@dataclass(slots=True)
class Pass:
    """What one pass did: items per handler (-1: it failed), and the handlers that were
    stopped at the end of their slice with work left."""

    done: dict[str, int] = field(default_factory=dict)
    unfinished: set[str] = field(default_factory=set)


def run_pass(
    factory: sessionmaker[Session],
    clock: Clock,
    mailer: Mailer | None = None,
    only: Collection[str] | None = None,
    retention: timedelta = pruning.RETENTION,
    *,
    webhooks: webhooks_out.Sender | None = None,
    work_slice: Slice = SLICE,
) -> Pass:
    """Give each handler (those named in `only`, when given) its slice of work, in turn;
    one failing handler does not stop the others, and none, however deep its backlog,
    keeps the others waiting longer than its slice. Without a mailer with an SMTP server,
    emails are written but not sent (and skipped once too old to send). `webhooks`: the
    sender to use (by default the process's own, from the settings)."""
    bind = factory.kw.get("bind")
    sqlite = bind is not None and bind.dialect.name == "sqlite"
    steps = {
        name: (_in_unit(factory, h, clock), SQLITE_BATCHES.get(name, batch) if sqlite else batch)
        for name, (h, batch) in HANDLERS.items()
    }
    staged_handlers = dict(STAGED)
    if webhooks is not None:
        deliver = functools.partial(webhooks_out.deliver_due, sender=webhooks)
        staged_handlers["deliver_webhooks"] = (deliver, webhooks_out.BATCH)
    steps |= {name: (_staged(factory, h, clock), b) for name, (h, b) in staged_handlers.items()}
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
    steps = {name: steps[name] for name in FIRST if name in steps} | steps
    if only is not None:
        steps = {name: step for name, step in steps.items() if name in only}
    result = Pass()
    for name, (step, batch) in steps.items():
        result.done[name] = 0
        ends = time.monotonic() + work_slice.seconds
        try:
            for _ in range(work_slice.batches):
                count = step()
                result.done[name] += count
                if batch is None or count < batch:
                    break
                if time.monotonic() >= ends:
                    result.unfinished.add(name)
                    break
            else:
                result.unfinished.add(name)
        except Exception:
            log.exception("worker handler %s failed", name)
            result.done[name] = -1
    return result


def _counts(run: Callable[P, Pass]) -> Callable[P, dict[str, int]]:
    def counts(*args: P.args, **kwargs: P.kwargs) -> dict[str, int]:
        return run(*args, **kwargs).done

    counts.__doc__ = "One fair pass (`run_pass`); returns how many items each handler processed."
    return counts


run_once = _counts(run_pass)


def run_until_idle(
    factory: sessionmaker[Session],
    clock: Clock,
    mailer: Mailer | None = None,
    only: Collection[str] | None = None,
    retention: timedelta = pruning.RETENTION,
    *,
    max_passes: int = 1000,
) -> dict[str, int]:
    """Passes until none leaves work unfinished (at most `max_passes`), for a worker run
    once from the command line or a test; returns the totals (-1: a handler failed)."""
    totals: dict[str, int] = {}
    for _ in range(max_passes):
        done = run_pass(factory, clock, mailer, only, retention)
        for name, count in done.done.items():
            before = totals.get(name, 0)
            totals[name] = -1 if count < 0 or before < 0 else before + count
        if not done.unfinished:
            break
    return totals


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
        done = run_pass(factory, clock, mailer, retention=retention)
        # With work left, or after a pass that did some (what one handler did is often
        # another's work: a renewal's charge, a charge's receipt), the next starts at once.
        if not done.unfinished and not any(count > 0 for count in done.done.values()):
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
