"""Engines and session factories for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import select
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite opens transactions lazily and never for SELECT; take the write lock at
        # BEGIN so concurrent writers queue on busy_timeout instead of failing mid-transaction.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see the "begin" listener).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


class ReadOnlySessionError(RuntimeError):
    """A session for reading was asked to write."""


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that only reads (the API's GET requests). On PostgreSQL they run
    without BEGIN and COMMIT: under READ COMMITTED every statement takes its own snapshot
    anyway, and the two round trips cost as much as the query on the API's hottest reads.
    SQLite keeps its transactions (its BEGIN is set up per connection; see `make_engine`).
    Writing through such a session is a bug, so a flush with changes raises."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    factory = sessionmaker(engine, expire_on_commit=False, autoflush=True)
    event.listen(factory, "before_flush", _refuse_writes)
    return factory


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySessionError("a read-only session was asked to write")
