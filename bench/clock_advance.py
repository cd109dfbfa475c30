"""A test clock advancing two years over many subscriptions while another tenant writes,
on the embedded default (a SQLite file) or PostgreSQL.

    .venv/bin/python bench/clock_advance.py [--subscriptions 250] [--postgres]

Seeds an account whose customers (each with a sandbox card, on a monthly plan) live on one
test clock, then advances the clock two years in one thread while another thread writes
to another account every 20 ms. Reports how long the advance took, its longest transaction
(on SQLite, how long it held the write lock at a stretch) and how long the other tenant's
writes waited (p50, p99, max) and whether any failed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import database
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, update

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.models import Account
from recura.db.unit_of_work import unit_of_work, units_of
from recura.domains.common.tenant import Tenant
from recura.domains.test_clocks import service

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import SECRET, T0, make_merchant
from tests.scenarios.world import World


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/recura.db"


def watch_transactions(engine: Engine) -> list[float]:
    """Every transaction's length in seconds, from BEGIN to its end, as they end."""
    lengths: list[float] = []
    began: dict[int, float] = {}

    def begin(conn: Any) -> None:
        began[id(conn)] = time.perf_counter()

    def end(conn: Any) -> None:
        start = began.pop(id(conn), None)
        if start is not None:
            lengths.append(time.perf_counter() - start)

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    return lengths


def run(url: str, subscriptions: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    settings = Settings(database_url=url, secret_key=SECRET)  # type: ignore[arg-type]
    app = create_app(settings, clock=FixedClock(T0), engine=engine)
    with TestClient(app) as client:
        merchant = make_merchant(factory, client)
        other = make_merchant(factory, client, "Other SRL")
        world = World(merchant.api, T0)
        plan = world.plan(4900)
        for _ in range(subscriptions):
            world.subscribe(world.customer(), plan)
    tenant = Tenant(merchant.account_id, False)
    to = T0 + timedelta(days=2 * 365 - 1)

    waits: list[float] = []
    failures: list[str] = []
    done = threading.Event()

    def writes() -> None:
        while not done.is_set():
            start = time.perf_counter()
            try:
                with unit_of_work(factory) as session:
                    session.execute(
                        update(Account).where(Account.id == other.account_id).values(locale="en")
                    )
            except Exception as error:
                failures.append(repr(error))
            waits.append(time.perf_counter() - start)
            time.sleep(0.02)

    writer = threading.Thread(target=writes, daemon=True)
    lengths = watch_transactions(engine)
    start = time.perf_counter()
    writer.start()
    service.advance(units_of(factory), tenant, world.clock, to, FixedClock(T0))
    took = time.perf_counter() - start
    done.set()
    writer.join()
    waits.sort()
    print(f"{engine.dialect.name}: {subscriptions} subscriptions, two years")
    print(f"  advance: {took:.1f} s, {len(lengths)} transactions, longest {max(lengths):.3f} s")
    print(
        f"  other tenant's writes: {len(waits)}, p50 {statistics.median(waits) * 1000:.0f} ms,"
        f" p99 {waits[int(len(waits) * 0.99)] * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms,"
        f" failed {len(failures)}"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=250)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with database("clock") if args.postgres else sqlite_url() as url:
        run(url.replace("postgresql://", "postgresql+psycopg://"), args.subscriptions)


if __name__ == "__main__":
    main()
