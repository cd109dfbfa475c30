"""The month-start storm on PostgreSQL: every subscription renews at one instant, and the
time until each renewal is invoiced, charged, announced to the merchant's webhook endpoint
and receipted by email, with `recura worker` processes doing all of it.

    .venv/bin/python bench/month_start.py [--subscriptions 100000] [--workers 2]
        [--batch-size 1]

Creates its own database on the server of RECURA_BENCH_PG_ADMIN (default: the test server's
`test` database) and seeds one account (UTC) whose subscriptions are billed on calendar
months, each with a customer with an email address, a sandbox card as default payment
method and last month's paid invoice; their period ended at 00:00 UTC on the 1st of this
month. The worker reads the system clock, so the storm is the month start that has passed:
every subscription is due at that one instant, and each renews once.

One webhook endpoint takes the events a renewal sends, at a loopback receiver that verifies
every signature and counts event ids; SMTP goes to a loopback aiosmtpd sink that counts
Message-IDs; each runs in a process of its own. The billing run alone is timed first, on a
copy of the seeded database (`run_due_subscriptions` in as many processes as there are
workers, nothing else); then the workers start on the original and the database and the
receivers are polled until everything is done. Exits non-zero if an event or a receipt is
missing or arrived twice, or a signature did not verify. The databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import billing_run
import psycopg
from common import ADMIN, cpu_seconds, free_port, postgres_pids
from sinks import Sink, Tally, smtp_sink, webhook_receiver
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import SystemClock
from recura.config import load_settings
from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.webhook_endpoints import service as endpoints
from recura.domains.webhook_endpoints.schemas import WebhookEndpointCreate
from recura.jobs.worker import run_once, tune_gc
from recura.notifications.smtp import Mailer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.factories import seed_due_subscriptions  # noqa: E402 (after the path)

# What a merchant's provisioning listens to at a renewal: the invoice and its payment.
EVENTS = ["invoice.*", "payment.*", "subscription.*"]
CARD = "tok_sandbox_visa"
POLL_SECONDS = 1.0
# Its counts read every row the storm writes: at scale, polled less often.
POLL_ROWS = 20_000
# Where the server's autovacuum is off (as on the development machine), the tables the
# storm grows are analyzed this often, as autovacuum would: plans made while they were
# small (a sequential scan of an empty ledger) would otherwise stay for the whole run.
ANALYZE_EVERY = 15.0
GROWN = (
    "events, invoices, invoice_lines, payments, sandbox_charges, webhook_deliveries,"
    " webhook_attempts, email_messages"
)
NAME = "recura_bench_month_start"


def due_instant(now: datetime) -> datetime:
    """00:00 UTC on the 1st of `now`'s month: the month start that has just passed."""
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# -- seeding ----------------------------------------------------------------------------


def seed(factory: sessionmaker[Session], count: int, due: datetime) -> str:
    """`count` subscriptions billed on calendar months whose period ends at `due`, each
    customer with an email address and a sandbox card; returns the account id."""
    start = (due - timedelta(days=1)).replace(day=1)
    account_id = seed_due_subscriptions(factory, count, (start, due), metered=False, cards=[CARD])
    with unit_of_work(factory) as session:
        session.execute(text("UPDATE customers SET email = lower(name) || '@subscribers.example'"))
        session.execute(text("UPDATE subscriptions SET alignment = 'calendar'"))
    engine = factory.kw["bind"]
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return account_id


def add_endpoint(
    factory: sessionmaker[Session], account_id: str, url: str, batch_size: int = 1
) -> str:
    """The merchant's endpoint for the renewal's events (`batch_size` per request);
    returns its signing secret."""
    with unit_of_work(factory) as session:
        endpoint = endpoints.create(
            session,
            Tenant(account_id, False),
            WebhookEndpointCreate(url=url, enabled_events=EVENTS, batch_size=batch_size),
            datetime.now(UTC),
            allow_private=True,
        )
        return endpoint.secret


@contextmanager
def database(name: str, keep: bool) -> Iterator[str]:
    """A new database (dropped first if a run left it), dropped at the end unless `keep`;
    yields its postgresql:// URL."""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        for stale in (name, f"{name}_copy"):
            conn.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN.rsplit('/', 1)[0]}/{name}"
    try:
        yield url
    finally:
        if keep:
            print(f"kept {url}")
        else:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the billing run alone, on a copy ---------------------------------------------------


@contextmanager
def copy_of(url: str) -> Iterator[str]:
    """A copy of the database at `url` (no one may be connected to it meanwhile)."""
    name = url.rsplit("/", 1)[1]
    copy = f"{name}_copy"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    try:
        yield f"{url.rsplit('/', 1)[0]}/{copy}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def billing_alone(url: str, workers: int, count: int) -> float:
    """Seconds for `workers` processes to renew every due subscription, nothing else."""
    seconds = billing_run.run(url, workers, datetime.now(UTC))
    engine = make_engine(url)
    with engine.connect() as conn:
        renewed = conn.scalar(_count("invoices WHERE reason = 'subscription_cycle'"))
    engine.dispose()
    if renewed != count:
        raise SystemExit(f"the billing run alone renewed {renewed} of {count}")
    return seconds


# -- the storm --------------------------------------------------------------------------


def _count(where: str) -> Any:
    return text(f"SELECT count(*) FROM {where}")  # noqa: S608 (fixed text)


PROGRESS = """
    SELECT
      (SELECT count(*) FROM invoices WHERE reason = 'subscription_cycle') AS invoiced,
      (SELECT count(*) FROM invoices
        WHERE reason = 'subscription_cycle' AND status = 'paid') AS charged,
      (SELECT count(*) FROM events) AS events,
      (SELECT count(*) FROM events WHERE dispatched_at IS NULL) AS undispatched,
      (SELECT count(*) FROM webhook_deliveries) AS deliveries,
      (SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded') AS delivered,
      (SELECT count(*) FROM email_messages WHERE template = 'receipt') AS receipts,
      (SELECT count(*) FROM email_messages
        WHERE template = 'receipt' AND status = 'sent') AS receipts_sent
    """


@dataclass(frozen=True)
class Progress:
    invoiced: int
    charged: int
    events: int
    undispatched: int
    deliveries: int
    delivered: int
    receipts: int
    receipts_sent: int


@dataclass
class Timeline:
    """When (seconds after the workers were started) each stage began and was complete,
    and the CPU seconds each kind of process used meanwhile."""

    first: dict[str, float] = field(default_factory=dict)
    done: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def note(self, stage: str, at: float, started: bool, complete: bool) -> None:
        if started:
            self.first.setdefault(stage, at)
        if complete:
            self.done.setdefault(stage, at)
        else:
            self.done.pop(stage, None)  # it was not done after all (more arrived)


def matching_events(conn: psycopg.Connection[Any]) -> int:
    counts = conn.execute("SELECT type, count(*) FROM events GROUP BY type").fetchall()
    return sum(n for kind, n in counts if endpoints.matches(EVENTS, kind))


def worker_env(url: str, smtp_port: int, interval: float | None) -> dict[str, str]:
    env = {
        **os.environ,
        "RECURA_DATABASE_URL": url,
        "RECURA_SECRET_KEY": secrets.token_urlsafe(48),
        "RECURA_SMTP_HOST": "127.0.0.1",
        "RECURA_SMTP_PORT": str(smtp_port),
        "RECURA_SMTP_SECURITY": "none",
        "RECURA_WEBHOOKS_ALLOW_PRIVATE": "true",
        "RECURA_LOG_LEVEL": "warning",
    }
    if interval is not None:
        env["RECURA_WORKER_INTERVAL_SECONDS"] = str(interval)
    return env


def storm(
    url: str,
    count: int,
    workers: int,
    receiver: Sink,
    mailbox: Sink,
    env: dict[str, str],
    timeout: float,
) -> Timeline:
    """Start the workers while the due subscriptions are held (locked: the workers' claims
    skip them), let them all fall due at once, and poll until everything is done."""
    engine = make_engine(url)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    hold = psycopg.connect(plain)
    hold.execute("SELECT 1 FROM subscriptions FOR UPDATE")
    # The poller's own connection: its backend's CPU is the benchmark's, not the storm's.
    poller = psycopg.connect(plain, autocommit=True)
    logs = Path(tempfile.mkdtemp(prefix="recura-month-start-"))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "recura.cli", "worker"],
            cwd=ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=(logs / f"worker-{n}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for n in range(workers)
    ]
    deadline = time.monotonic() + 120
    while not all("Worker running" in _read(log) for log in logs.iterdir()):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            raise SystemExit(f"the workers did not start; see {logs}")
        time.sleep(0.1)
    time.sleep(1)  # into their first pass, or their wait after it

    def server() -> list[int]:
        return [pid for pid in postgres_pids() if pid != poller.info.backend_pid]

    processes = {
        "workers": [p.pid for p in procs],
        "PostgreSQL": server(),
        "webhook receiver": [receiver.pid],
        "SMTP sink": [mailbox.pid],
    }
    before = {kind: sum(cpu_seconds(pid) for pid in pids) for kind, pids in processes.items()}
    hold.rollback()
    hold.close()
    started = time.perf_counter()
    timeline = Timeline()
    analyzing = poller.execute("SHOW autovacuum").fetchone() == ("off",)
    analyzed = 0.0
    poll = max(POLL_SECONDS, count / POLL_ROWS)
    try:
        while True:
            time.sleep(poll)
            at = time.perf_counter() - started
            if analyzing and at - analyzed >= ANALYZE_EVERY:
                with engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                        text(f"ANALYZE {GROWN}")
                    )
                analyzed = at
            found = poller.execute(PROGRESS).fetchone()
            assert found is not None  # counts always make a row
            row = Progress(*found)
            expected = matching_events(poller) if row.undispatched == 0 else -1
            heard = receiver.accepted.value
            sent = mailbox.accepted.value
            timeline.note("invoiced", at, row.invoiced > 0, row.invoiced == count)
            timeline.note("charged", at, row.charged > 0, row.charged == count)
            events_done = row.charged == count and expected == heard == row.delivered
            timeline.note("webhooks", at, heard > 0, events_done)
            receipts_done = row.receipts_sent == count and sent >= count
            timeline.note("receipts", at, sent > 0, receipts_done)
            if all(s in timeline.done for s in ("invoiced", "charged", "webhooks", "receipts")):
                timeline.done["all"] = max(timeline.done.values())
                # Before the workers stop; PostgreSQL's backends that began meanwhile
                # count from their start, those that ended are missed (none should).
                processes["PostgreSQL"] = server()
                for kind, pids in processes.items():
                    used = sum(cpu_seconds(pid) for pid in pids)
                    timeline.cpu[kind] = used - before[kind]
                break
            dead = [p.returncode for p in procs if p.poll() is not None]
            # More heard than will ever be delivered: one went twice; the check says which.
            repeated = row.charged == count and heard > expected >= 0
            if dead or repeated or at > timeout:
                print(
                    f"stopped after {at:.0f} s: {row.invoiced} invoiced, {row.charged} charged,"
                    f" {heard}/{row.events} events heard, {sent} emails; workers exited: {dead}"
                )
                break
        # A little longer: a delivery or email sent twice would arrive now.
        time.sleep(2 * poll)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        for log in sorted(logs.iterdir()):
            said = [line for line in _read(log).splitlines() if "Worker running" not in line]
            if said:
                print(f"{log.name} said (last 20 lines of {len(said)}):")
                print("  " + "\n  ".join(said[-20:]))
        shutil.rmtree(logs)
        engine.dispose()
        poller.close()
    return timeline


def _read(path: Path) -> str:
    return path.read_text(errors="replace")


def check(url: str, count: int, hooks: Tally, mail: Tally) -> list[str]:
    """What is missing or duplicated, compared with the database."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, type FROM events")).all()
        receipts = conn.scalar(_count("email_messages WHERE template = 'receipt'"))
        sent = conn.scalar(_count("email_messages WHERE status = 'sent'"))
    engine.dispose()
    events = {i for i, kind in rows if endpoints.matches(EVENTS, kind)}
    return problems(count, events, receipts, sent, hooks, mail)


def problems(
    count: int, events: set[str], receipts: int, sent: int, hooks: Tally, mail: Tally
) -> list[str]:
    """What is wrong: `events` are those the endpoint takes, `receipts` the receipt emails
    written, `sent` the emails marked sent; `hooks` and `mail` what the sinks received."""
    found = []
    heard = set(hooks.received)
    if heard != events:
        found.append(
            f"webhooks: {len(events - heard)} events never arrived, "
            f"{len(heard - events)} arrived that are not in the database"
        )
    if hooks.duplicates:
        found.append(f"webhooks: {hooks.duplicates} events arrived more than once")
    if hooks.refused:
        found.append(f"webhooks: {hooks.refused} requests whose signature did not verify")
    if receipts != count:
        found.append(f"emails: {receipts} receipts written for {count} renewals")
    if len(mail.received) != sent or sent < count:
        found.append(f"emails: {len(mail.received)} arrived, {sent} sent, {count} receipts due")
    if mail.duplicates:
        found.append(f"emails: {mail.duplicates} messages arrived more than once")
    return found


def report(
    count: int, workers: int, alone: float, timeline: Timeline, events: int, batch_size: int
) -> None:
    batching = "each event alone" if batch_size == 1 else f"events in batches of {batch_size}"

    def rate(seconds: float | None) -> str:
        return f"{count / seconds:>10,.0f}" if seconds else f"{'-':>10}"

    def at(seconds: float | None) -> str:
        return f"{seconds:>9.1f}" if seconds is not None else f"{'-':>9}"

    print()
    print(f"{count:,} subscriptions due at one instant, {workers} workers, {batching}")
    print(f"{'stage':<44} {'first s':>9} {'done s':>9} {'subs/s':>10}")
    print(f"{'billing run alone (run_due_subscriptions)':<44} {at(0.0)} {at(alone)} {rate(alone)}")
    stages = {
        "invoiced": "end to end: every renewal invoiced",
        "charged": "end to end: every invoice charged (paid)",
        "webhooks": f"end to end: every event delivered ({events:,})",
        "receipts": "end to end: every receipt sent",
        "all": "end to end: all of it",
    }
    for key, label in stages.items():
        first = timeline.first.get(key, 0.0 if key == "all" else None)
        done = timeline.done.get(key)
        print(f"{label:<44} {at(first)} {at(done)} {rate(done)}")
    total = timeline.done.get("all")
    if total:
        print(f"end to end / billing alone: {total / alone:.1f}x (target: >= 1,000 subs/s)")
    if timeline.cpu:
        # What each subscriber cost the machine: its cores / that sum bounds the rate.
        print()
        print(f"{'CPU per subscriber, end to end':<44} {'ms':>9}")
        for kind, seconds in timeline.cpu.items():
            print(f"{kind:<44} {seconds * 1000 / count:>9.2f}")
        per = sum(timeline.cpu.values()) / count
        cores = os.cpu_count() or 1
        print(f"{'all of them':<44} {per * 1000:>9.2f}")
        print(f"at most {cores / per:,.0f} subs/s on {cores} cores at that cost")


# -- each stage alone ------------------------------------------------------------------

STAGES = (
    "billing",
    "dispatch_events",
    "collect_payments",
    "dispatch_events",
    "deliver_webhooks",
    "send_emails",
)


def stages(url: str, env: dict[str, str]) -> None:
    """Run the worker's handlers one at a time in this process, each until its work is
    done, and print what each item cost: wall time, CPU, statements and commits."""
    os.environ.update(env)  # as the workers read their settings
    factory = make_session_factory(make_engine(url))
    mailer = Mailer.from_settings(load_settings())
    tally = {"statements": 0, "commits": 0}

    def statement(*_: Any) -> None:
        tally["statements"] += 1

    def commit(*_: Any) -> None:
        tally["commits"] += 1

    # On the class: the sandbox processor books its charges through an engine of its own.
    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    tune_gc()
    print(
        f"{'stage':<18} {'items':>7} {'items/s':>8} {'CPU ms/item':>12} {'stmts/item':>11}"
        f" {'commits/item':>13}"
    )
    try:
        for stage in STAGES:
            tally["statements"] = tally["commits"] = 0
            wall, cpu = time.perf_counter(), time.process_time()
            done = run_once(factory, SystemClock(), mailer, only={stage})[stage]
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            per = max(done, 1)
            print(
                f"{stage:<18} {done:>7,} {done / wall:>8,.0f} {cpu * 1000 / per:>12.2f}"
                f" {tally['statements'] / per:>11.2f} {tally['commits'] / per:>13.2f}"
            )
    finally:
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Engine, "commit", commit)
        factory.kw["bind"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        help="RECURA_WORKER_INTERVAL_SECONDS for the workers (default: the server's)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        help="the webhook endpoint's batch_size: events per request (default 1, each alone)",
    )
    parser.add_argument("--timeout", type=float, default=3600, help="give up after (s)")
    parser.add_argument("--database", default=NAME, help="the database to create (and drop)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--stages",
        action="store_true",
        help="instead of the storm, run each handler alone in this process and time it",
    )
    args = parser.parse_args()
    count = args.subscriptions
    now = datetime.now(UTC)
    due = due_instant(now)
    with database(args.database, args.keep) as plain_url:
        url = plain_url.replace("postgresql://", "postgresql+psycopg://")
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        account_id = seed(factory, count, due)
        hook_port, mail_port = free_port(), free_port()
        hooks_url = f"http://127.0.0.1:{hook_port}/hooks"
        secret = add_endpoint(factory, account_id, hooks_url, args.batch_size)
        engine.dispose()
        took = time.perf_counter() - started
        print(f"seeded {count:,} subscriptions due at {due.isoformat()} in {took:.1f} s")
        if args.stages:
            receiver, mailbox = webhook_receiver(hook_port, secret), smtp_sink(mail_port)
            try:
                stages(url, worker_env(url, mail_port, args.interval))
            finally:
                hooks, mail = receiver.close(), mailbox.close()
            found = check(url, count, hooks, mail)
            for problem in found:
                print(f"FAILED: {problem}")
            print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            raise SystemExit(1 if found else 0)
        with copy_of(url) as copy:
            alone = billing_alone(copy, args.workers, count)
        print(f"billing run alone: {count:,} renewals in {alone:.1f} s")
        receiver, mailbox = webhook_receiver(hook_port, secret), smtp_sink(mail_port)
        env = worker_env(url, mail_port, args.interval)
        try:
            timeline = storm(url, count, args.workers, receiver, mailbox, env, args.timeout)
        finally:
            hooks, mail = receiver.close(), mailbox.close()
        found = check(url, count, hooks, mail)
        report(count, args.workers, alone, timeline, len(hooks.received), args.batch_size)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for problem in found:
        print(f"FAILED: {problem}")
    if found or "all" not in timeline.done:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
