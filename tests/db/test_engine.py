"""Pooled PostgreSQL connections that the server ended are replaced before a request uses
them; on SQLite, reads never wait for the writer and writers wait their turn in the process."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, event, text
from tests.conftest import PG_ADMIN
from tests.waiting import PATIENCE

from recura.db.engine import (
    ReadOnlySessionError,
    make_engine,
    make_read_session_factory,
    make_session_factory,
)
from recura.db.models import Product
from recura.db.unit_of_work import unit_of_work
from recura.db.write_queue import queue_for


def _terminate(pid: int) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + PATIENCE
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.02)


@pytest.mark.postgres
def test_a_connection_the_server_ended_is_replaced_on_checkout(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    engine = make_engine(database_url, pool_size=2, max_overflow=0)
    try:
        with engine.connect() as first, engine.connect() as second:
            pids = [
                c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (first, second)
            ]
        for pid in pids:  # as a restart would: every pooled connection ended while idle
            _terminate(pid)
        time.sleep(0.05)
        for _ in range(3):
            with engine.connect() as conn:
                now = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            assert now not in pids
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_live_connection_is_reused(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        seen = set()
        for _ in range(3):
            with engine.connect() as conn:
                seen.add(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        assert len(seen) == 1
    finally:
        engine.dispose()


def test_read_sessions_open_no_transaction_and_refuse_writes(database_url: str) -> None:
    engine = make_engine(database_url)
    factory = make_read_session_factory(engine)
    try:
        session = factory()
        assert session.execute(text("SELECT 1")).scalar_one() == 1
        if database_url.startswith("postgresql"):
            raw = session.connection().connection.dbapi_connection
            assert raw is not None
            assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        session.add(Product(id="prod_x", account_id="acct_x", livemode=False, name="x"))
        with pytest.raises(ReadOnlySessionError):
            session.flush()
        session.rollback()
        session.close()
    finally:
        engine.dispose()


# SQLite, the embedded default: readers beside the writer, writers queued in the process.


def _sqlite(tmp_path: Path, busy_timeout_ms: int = 0) -> Engine:
    """A file database whose connections give up at once on SQLite's lock (busy timeout 0
    by default): only the process's queue can make writers wait for their turn."""
    engine = make_engine(f"sqlite:///{tmp_path / 'load.db'}")
    event.listen(
        engine,
        "connect",
        lambda dbapi, _record: dbapi.execute(f"PRAGMA busy_timeout={busy_timeout_ms}"),
    )
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, label TEXT)")
    return engine


def _in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run `work(i)` in `count` threads at once; the exceptions they raised."""
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as error:  # reported by the test
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
        assert not thread.is_alive(), "a thread never finished"
    return failures


def test_sqlite_reads_go_on_while_a_writer_holds_the_write_lock(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    reads = make_read_session_factory(engine)
    try:
        with make_session_factory(engine)() as writer:
            writer.execute(text("INSERT INTO item (label) VALUES ('uncommitted')"))
            # The writer holds SQLite's write lock and the process's turn until it commits.
            barrier = threading.Barrier(30, timeout=120)

            def read(_: int) -> None:
                with reads() as session:
                    assert session.execute(text("SELECT count(*) FROM item")).scalar_one() == 0
                    barrier.wait()  # every reader inside its transaction at once
                    session.commit()

            assert _in_threads(30, read) == []
            writer.commit()
        with reads() as session:
            assert session.execute(text("SELECT count(*) FROM item")).scalar_one() == 1
    finally:
        engine.dispose()


def test_sqlite_writers_queue_instead_of_failing_on_the_lock(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    writes = make_session_factory(engine)

    def write(i: int) -> None:
        for n in range(10):
            with unit_of_work(writes) as session:
                count = session.execute(text("SELECT count(*) FROM item")).scalar_one()
                session.execute(
                    text("INSERT INTO item (label) VALUES (:label)"), {"label": f"{i}-{n}-{count}"}
                )

    try:
        assert _in_threads(16, write) == []
        with writes() as session:
            assert session.execute(text("SELECT count(*) FROM item")).scalar_one() == 160
    finally:
        engine.dispose()


def test_a_sqlite_read_session_never_takes_the_write_lock(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    path = str(tmp_path / "load.db")
    try:
        with make_read_session_factory(engine)() as session:
            session.execute(text("SELECT count(*) FROM item")).scalar_one()
            assert session.in_transaction()
            # Another process may write meanwhile: SQLite's write lock is free...
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT INTO item (label) VALUES ('other')")
            other.execute("COMMIT")
            other.close()
            # ... and so is this process's turn to write.
            queue = queue_for(path)
            assert queue.acquire(timeout=0)
            queue.release()
            # The read goes on in its snapshot.
            assert session.execute(text("SELECT count(*) FROM item")).scalar_one() == 0
    finally:
        engine.dispose()


def test_a_sqlite_writer_leaves_the_queue_however_its_transaction_ends(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    queue = queue_for(str(tmp_path / "load.db"))
    writes = make_session_factory(engine)

    def free() -> bool:
        if queue.acquire(timeout=0):
            queue.release()
            return True
        return False

    try:
        for end in ("commit", "rollback", "close", "invalidate"):
            session = writes()
            session.execute(text("INSERT INTO item (label) VALUES ('x')"))
            assert not free()
            if end == "invalidate":
                session.connection().invalidate()
                session.close()
            else:
                getattr(session, end)()
            assert free(), end
    finally:
        engine.dispose()


def test_sqlite_connections_suffice_for_the_api_threads(tmp_path: Path) -> None:
    """Both thread pools of the API (80 threads) can each hold a session at once."""
    engine = _sqlite(tmp_path)
    reads = make_read_session_factory(engine)
    barrier = threading.Barrier(80, timeout=120)

    def read(_: int) -> None:
        with reads() as session:
            session.execute(text("SELECT 1")).scalar_one()
            barrier.wait()

    try:
        assert _in_threads(80, read) == []
    finally:
        engine.dispose()
