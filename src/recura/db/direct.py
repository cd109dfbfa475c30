"""Hot statements that return rows run on psycopg directly, skipping SQLAlchemy's execution
layer: the entitlements check's two selects, usage ingestion's customer check and insert, and
the billing run's usage per metric.

On the entitlements check, SQLAlchemy's execution, context and result machinery cost each
of a request's two small selects several times what psycopg itself spends (bench/README.md).
`rows` keeps SQLAlchemy as the one source of the SQL: the statement is compiled once
per dialect to the string and parameters SQLAlchemy would send, and its types still convert
what goes in and what comes out. Errors are SQLAlchemy's, as `execute` raises them, and
`before_cursor_execute` listeners still see each statement. Only psycopg takes this path,
and only for a statement sent as it was compiled; SQLite, and a statement with an IN list
(such as a metric's filters), run through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import exc
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Select
from sqlalchemy.sql.selectable import CompoundSelect

Processor = Callable[[Any], Any]
Statement = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]
Row = tuple[Any, ...]


class _Compiled:
    """A statement as SQLAlchemy sends it to one dialect."""

    def __init__(self, statement: Statement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        # An IN list (an expanding parameter, also for a list the statement holds itself) is
        # rendered again on every execution; such statements keep SQLAlchemy's path.
        self.as_compiled = not (
            compiled.positional or compiled.escaped_bind_names or "POSTCOMPILE" in compiled.string
        )
        self.dialect = dialect
        self.sql = compiled.string
        # The values the statement carries (its literals) and the bound parameters' types.
        self.defaults = compiled.construct_params(_check=False)
        binds: dict[str, Processor] = {}
        for name in self.defaults:
            process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds[name] = process
        self.binds = binds
        self.types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        # Some result processors depend on the type the server reports (a numeric's), so
        # they are made on the first rows.
        self.results: list[tuple[int, Processor]] | None = None

    def parameters(self, params: Mapping[str, Any]) -> dict[str, Any]:
        values = {**self.defaults, **params}
        for name, process in self.binds.items():
            values[name] = process(values[name])
        return values

    def convert(self, found: list[Row], cursor: DBAPICursor) -> list[Row]:
        if self.results is None:
            self.results = []
            assert cursor.description is not None  # a select describes its columns
            for index, (type_, column) in enumerate(
                zip(self.types, cursor.description, strict=True)
            ):
                result = type_.result_processor(self.dialect, column[1])
                if result is not None:
                    self.results.append((index, result))
        if not self.results:
            return found
        converted = []
        for row in found:
            values = list(row)
            for index, process in self.results:
                values[index] = process(values[index])
            converted.append(tuple(values))
        return converted


@lru_cache(maxsize=256)
def _compiled(statement: Statement, dialect: Dialect) -> _Compiled:
    return _Compiled(statement, dialect)


def rows(session: Session, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
    """The rows of `statement` (built once, with bound parameters), after flushing the session
    as `session.execute` would: on the session's connection, or, when the session reads
    outside any transaction and has not taken one yet, on a connection borrowed from the pool
    for this statement only."""
    if session.autoflush:
        session.flush()
    bind = session.get_bind()
    compiled = _compiled(statement, bind.dialect) if bind.dialect.driver == "psycopg" else None
    if compiled is None or not compiled.as_compiled:
        return [tuple(row) for row in session.connection().execute(statement, params)]
    if isinstance(bind, Engine) and _outside_transactions(session, bind):
        return _borrowed(bind, compiled, params)
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None  # a connection in use is never detached
    values = compiled.parameters(params)
    cursor = dbapi.cursor()
    try:
        if connection.dispatch.before_cursor_execute:  # statement counts, tracing
            connection.dispatch.before_cursor_execute(
                connection, cursor, compiled.sql, values, None, False
            )
        return _execute(compiled, cursor, values)
    finally:
        cursor.close()


def _outside_transactions(session: Session, engine: Engine) -> bool:
    """Whether each statement of the session is its own transaction (a read session on
    PostgreSQL, see `make_read_session_factory`) and the session holds no connection yet.
    Its statements then need no connection of the session's own: borrowing one from the pool
    skips the session's transaction and connection bookkeeping, which cost as much CPU as
    both of the entitlements' statements together. Where cursor listeners count or trace
    statements, they get them on the session's connection."""
    return (
        not session.in_transaction()
        and engine.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        and not engine.dispatch.before_cursor_execute
    )


def _borrowed(engine: Engine, compiled: _Compiled, params: Mapping[str, Any]) -> list[Row]:
    pooled = engine.raw_connection()
    try:
        dbapi = pooled.dbapi_connection
        assert dbapi is not None  # just checked out
        dbapi.autocommit = True
        try:
            cursor = dbapi.cursor()
            try:
                return _execute(compiled, cursor, compiled.parameters(params))
            finally:
                cursor.close()
        finally:
            if not dbapi.broken:  # a broken one is replaced at its next checkout
                dbapi.autocommit = False
    finally:
        pooled.close()


def _execute(compiled: _Compiled, cursor: Any, values: dict[str, Any]) -> list[Row]:
    dialect = compiled.dialect
    try:
        cursor.execute(compiled.sql, values)
        found = cast(list[Row], cursor.fetchall())  # psycopg's is a list
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            compiled.sql, values, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    return compiled.convert(found, cursor) if found else found
