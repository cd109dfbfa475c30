"""A billing run on PostgreSQL: due monthly subscriptions renewed by worker processes,
against bulk-inserting the same rows with plain SQL in the same run.

    .venv/bin/python bench/billing_run.py [--subscriptions 100000] [--workers 2]

Creates its own database on the server of RECURA_BENCH_PG_ADMIN (default: the test
server's `test` database), seeds an account whose subscriptions each have a metered charge
(graduated tiers), a usage event in the closing period and last month's invoice (a system
with that many subscriptions has billed them before; it also gives the planner real
statistics), then starts the workers together and times them until every renewal is done.
The floor: COPY of exactly the rows the run wrote (invoices, lines, events) into empty
copies of their tables, indexes included, on one connection. The database is dropped at the
end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from common import database
from psycopg.types.json import Jsonb
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.jobs.worker import run_until_idle, tune_gc

# The seeding is shared with the concurrency test.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.factories import seed_due_subscriptions


def seed(factory: sessionmaker[Session], count: int, now: datetime) -> None:
    end = now - timedelta(hours=1)
    seed_due_subscriptions(factory, count, (end - timedelta(days=30), end), metered=True)


def _worker(url: str, now: datetime, ready: Any, go: Any) -> None:
    factory = make_session_factory(make_engine(url))
    tune_gc()  # as `recura worker` does
    ready.release()
    go.wait()
    # Renewals only: what the run's events then fan out to, and the charges of the new
    # invoices, are other handlers' work, not the billing run's.
    run_until_idle(factory, FixedClock(now), only={"billing"})


def run(url: str, workers: int, now: datetime) -> float:
    context = multiprocessing.get_context("spawn")
    ready, go = context.Semaphore(0), context.Event()
    procs = [context.Process(target=_worker, args=(url, now, ready, go)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"a worker failed with exit code {proc.exitcode}")
    return time.perf_counter() - started


def floor(url: str, since: datetime) -> tuple[float, int]:
    """COPY the rows the run wrote into empty copies of their tables; (seconds, rows)."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        tables = {}
        for table in ("invoices", "invoice_lines", "events"):
            query = f"SELECT * FROM {table} WHERE created_at >= %s"  # noqa: S608 (fixed names)
            cursor = conn.execute(query, (since,))
            columns = [d.name for d in cursor.description or ()]
            json_columns = {"tax_lines", "discounts", "data"} & set(columns)
            tables[table] = (
                columns,
                [
                    [
                        Jsonb(v) if c in json_columns else v
                        for c, v in zip(columns, row, strict=True)
                    ]
                    for row in cursor.fetchall()
                ],
            )
            conn.execute(f"CREATE TEMP TABLE copy_{table} (LIKE {table} INCLUDING ALL)")
        conn.commit()
        started = time.perf_counter()
        for table, (columns, rows) in tables.items():
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY copy_{table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started, sum(len(rows) for _, rows in tables.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    with database("billing") as plain_url:
        url = plain_url.replace("postgresql://", "postgresql+psycopg://")
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        seed(factory, args.subscriptions, now)
        took = time.perf_counter() - started
        print(f"seeded {args.subscriptions:,} due subscriptions in {took:.1f} s")
        seconds = run(url, args.workers, now)
        with factory() as session:
            renewed = session.scalar(
                text("SELECT count(*) FROM invoices WHERE reason = 'subscription_cycle'")
            )
            left = session.scalar(
                text("SELECT count(*) FROM subscriptions WHERE next_action_at <= :now"),
                {"now": now},
            )
        engine.dispose()
        if renewed != args.subscriptions or left:
            raise SystemExit(f"expected {args.subscriptions} renewals, got {renewed}; {left} due")
        copy_seconds, rows = floor(url, now - timedelta(minutes=1))
        rate = args.subscriptions / seconds
        print(
            f"billing run, {args.workers} workers: {rate:,.0f} renewals/s "
            f"({args.subscriptions:,} in {seconds:.1f} s)"
        )
        print(
            f"floor, COPY of the same {rows:,} rows: {copy_seconds:.1f} s "
            f"({args.subscriptions / copy_seconds:,.0f} renewals' rows/s)"
        )
        print(f"ratio run/floor: {seconds / copy_seconds:.1f}x")


if __name__ == "__main__":
    main()
