"""Selects run directly on the DBAPI connection return what SQLAlchemy's execution would,
see the session's pending changes, raise SQLAlchemy's errors and reach cursor listeners; a
read session borrows a connection per statement; a statement with an IN list keeps
SQLAlchemy's path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, Numeric, String, bindparam, cast, event, exc, literal, select
from sqlalchemy.orm import Session, sessionmaker
from tests.factories import create_account

from recura.db import direct
from recura.db.engine import make_read_session_factory
from recura.db.models import Event
from recura.db.unit_of_work import unit_of_work

T0 = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
# A literal, a bound instant, and results that need converting: instants (to UTC), JSON,
# a numeric, and a literal read back.
STATEMENT = (
    select(
        Event.id,
        Event.occurred_at,
        Event.data,
        cast(Event.mrr_delta, Numeric(20, 6)),
        literal("tag", String),
    )
    .where(
        Event.account_id == bindparam("account_id", type_=String),
        Event.occurred_at >= bindparam("since", type_=Event.occurred_at.type),
        Event.type.in_([literal("a", String), literal("b", String)]),
    )
    .order_by(Event.id)
)


@pytest.fixture
def account_id(session: Session) -> str:
    return create_account(session, T0)


def _event(account_id: str, n: int, kind: str) -> Event:
    return Event(
        id=f"evt_{n}",
        account_id=account_id,
        livemode=False,
        type=kind,
        object_id="obj",
        data={"n": n, "nested": [None, {"k": "ț"}]},
        mrr_delta=-(10**12) + n,
        mrr_currency=None,
        occurred_at=(T0 + timedelta(hours=n)).astimezone(timezone(timedelta(hours=13))),
        created_at=T0,
        dispatched_at=None,
    )


def test_rows_are_what_sqlalchemy_returns(
    session: Session, account_id: str, engine: Engine
) -> None:
    if engine.dialect.name == "postgresql":  # read directly, not through SQLAlchemy
        assert direct._compiled(STATEMENT, engine.dialect).as_compiled
    session.add_all(_event(account_id, n, kind) for n, kind in enumerate("abcab"))
    session.flush()
    params = {"account_id": account_id, "since": T0 + timedelta(minutes=30)}
    for _ in range(2):  # the first rows make the result conversions, later ones reuse them
        found = direct.rows(session, STATEMENT, params)
        assert found == [tuple(row) for row in session.execute(STATEMENT, params)]
    assert [row[0] for row in found] == ["evt_1", "evt_3", "evt_4"]
    _, occurred_at, data, delta, tag = found[0]
    assert occurred_at == T0 + timedelta(hours=1)
    assert occurred_at.tzinfo is UTC
    assert data == {"n": 1, "nested": [None, {"k": "ț"}]}
    assert delta == Decimal(-(10**12) + 1)
    assert tag == "tag"
    assert direct.rows(session, STATEMENT, {**params, "account_id": "acct_none"}) == []


def test_rows_see_the_sessions_pending_changes(session: Session, account_id: str) -> None:
    session.add(_event(account_id, 0, "a"))  # not flushed yet
    found = direct.rows(session, STATEMENT, {"account_id": account_id, "since": T0})
    assert [row[0] for row in found] == ["evt_0"]


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_cursor_listeners_see_each_statement(
    session_factory: sessionmaker[Session], read: Session, statements: list[str]
) -> None:
    with unit_of_work(session_factory) as session:
        account_id = create_account(session, T0)
    statements.clear()
    params = {"account_id": account_id, "since": T0}
    with unit_of_work(session_factory) as session:
        direct.rows(session, STATEMENT, params)
    # A read session's statement too: it then runs on the session's own connection.
    direct.rows(read, STATEMENT, params)
    assert len([statement for statement in statements if "FROM events" in statement]) == 2


@pytest.fixture
def read(engine: Engine) -> Iterator[Session]:
    session = make_read_session_factory(engine)()
    yield session
    session.close()


def _pooled_in_autocommit(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(connection.connection.dbapi_connection.autocommit)  # type: ignore[union-attr]


def test_a_read_session_borrows_a_connection_per_statement(
    session_factory: sessionmaker[Session], engine: Engine, read: Session
) -> None:
    with unit_of_work(session_factory) as session:
        account_id = create_account(session, T0)
        session.add_all(_event(account_id, n, "a") for n in range(3))
    params = {"account_id": account_id, "since": T0 + timedelta(minutes=30)}
    with unit_of_work(session_factory) as session:
        expected = [tuple(row) for row in session.execute(STATEMENT, params)]
    assert direct.rows(read, STATEMENT, params) == expected
    assert [row[0] for row in expected] == ["evt_1", "evt_2"]
    if engine.dialect.name == "postgresql":
        # Nothing held: the session never took a connection, the borrowed one is back in
        # the pool as it was lent.
        assert not read.in_transaction()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert not _pooled_in_autocommit(engine)
        with pytest.raises(exc.DataError):
            direct.rows(read, STATEMENT, {**params, "account_id": "a\x00"})
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert not _pooled_in_autocommit(engine)
    # Once the session holds a connection, its statements run there.
    read.connection()
    assert direct.rows(read, STATEMENT, params) == expected
    assert read.in_transaction()


def test_driver_errors_are_sqlalchemys(session: Session, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite can hold NUL; its statements run through SQLAlchemy anyway")
    with pytest.raises(exc.DataError):
        direct.rows(session, STATEMENT, {"account_id": "a\x00", "since": T0})


def test_a_statement_rendered_per_execution_runs_through_sqlalchemy(
    session: Session, account_id: str, statements: list[str]
) -> None:
    session.add_all(_event(account_id, n, "a") for n in range(3))
    ids = bindparam("ids", expanding=True)
    expanding = select(Event.id).where(Event.account_id == account_id, Event.id.in_(ids))
    found = direct.rows(session, expanding, {"ids": ["evt_0", "evt_2"]})
    assert sorted(found) == [("evt_0",), ("evt_2",)]
    # Rendered with the list's own members, not from the compiled string.
    assert "POSTCOMPILE" not in statements[-1]
