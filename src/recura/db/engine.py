"""Engines and session factories for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import functools
import select
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker

from recura.db.write_queue import QueuedConnection, WriteQueue, queue_for

# SQLite: sessions of the read factory say so on their connections (see `_begin`).
_READS_ONLY = "recura_reads_only"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = make_url(url).database or ""
        in_file = path not in ("", ":memory:") and not path.startswith("file:")
        if in_file:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if in_file and "poolclass" not in kwargs:
            # Connections are cheap, and threads that wait for one wait for nothing else:
            # enough for the API's threads (its own and FastAPI's, 40 each) and the worker.
            kwargs.setdefault("pool_size", 20)
            kwargs.setdefault("max_overflow", 80)
        connect_args = {"timeout": 30, "factory": QueuedConnection}
        connect_args |= kwargs.pop("connect_args", {})
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        queue = queue_for(path) if in_file else None
        event.listen(engine, "connect", functools.partial(_sqlite_connected, queue))
        event.listen(engine, "begin", _begin)
        return engine
    # JSON columns are read on hot paths (the entitlements' grants and metric filters, every
    # batch's rows): orjson parses psycopg's bytes faster than the standard library
    # (bench/README.md). SQLite keeps the default: its JSON values do not always arrive as text.
    kwargs.setdefault("json_deserializer", orjson.loads)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    psycopg = make_url(url).get_driver_name() == "psycopg"
    # Another driver gets SQLAlchemy's ping on every checkout.
    engine = create_engine(url, pool_pre_ping=not psycopg, **kwargs)
    if psycopg:
        event.listen(engine, "checkout", _replace_if_closed_by_server)
    return engine


def _replace_if_closed_by_server(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server has ended (a restart, a terminated backend) is replaced
    before anyone uses it. Instead of `pool_pre_ping`'s round trip on every checkout (as much
    as the query it guards on a fast endpoint), look at the socket: an idle connection has
    nothing to read unless the server said goodbye (its FATAL message, or EOF). Anything
    else waiting there is as good a reason to start afresh."""
    if dbapi_conn.closed or dbapi_conn.broken:
        raise exc.DisconnectionError("the connection was closed")
    try:
        fd = dbapi_conn.fileno()
    except Exception as error:  # psycopg: OperationalError once closed
        raise exc.DisconnectionError("the connection has no socket") from error
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        raise exc.DisconnectionError("the server closed the connection")


def _sqlite_connected(queue: WriteQueue | None, dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see `_begin`).
    dbapi_conn.isolation_level = None
    if isinstance(dbapi_conn, QueuedConnection):
        dbapi_conn.write_queue = queue
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _begin(conn: Connection) -> None:
    """SQLite: a transaction that only reads starts deferred and reads a WAL snapshot, never
    waiting for writers. One that may write waits its turn in the process's queue (see
    `write_queue`), then takes the write lock at BEGIN: taken later, at its first write, a
    reader's snapshot may be stale by then and the upgrade fails instead of waiting."""
    if conn.get_execution_options().get(_READS_ONLY):
        conn.exec_driver_sql("BEGIN")
        return
    dbapi_conn = conn.connection.dbapi_connection
    queued = dbapi_conn if isinstance(dbapi_conn, QueuedConnection) else None
    if queued is not None:
        queued.wait_for_turn()
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if queued is not None:
            queued.end_turn()
        raise


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


class ReadOnlySessionError(RuntimeError):
    """A session for reading was asked to write."""


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that only reads (the API's GET requests). On PostgreSQL they run
    without BEGIN and COMMIT: under READ COMMITTED every statement takes its own snapshot
    anyway, and the two round trips cost as much as the query on the API's hottest reads.
    On SQLite they read one snapshot in a deferred transaction, beside the writer (see
    `_begin`). Writing through such a session is a bug, so a flush with changes raises."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    elif engine.dialect.name == "sqlite":
        engine = engine.execution_options(**{_READS_ONLY: True})
    factory = sessionmaker(engine, expire_on_commit=False, autoflush=True)
    event.listen(factory, "before_flush", _refuse_writes)
    return factory


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySessionError("a read-only session was asked to write")
