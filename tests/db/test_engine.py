"""Pooled PostgreSQL connections that the server ended are replaced before a request uses them."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from tests.conftest import PG_ADMIN
from tests.waiting import PATIENCE

from recura.db.engine import ReadOnlySessionError, make_engine, make_read_session_factory
from recura.db.models import Product


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
