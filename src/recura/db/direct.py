"""Hot reads run on the session's DBAPI connection, skipping SQLAlchemy's execution layer.

On the entitlements check, each of a request's two small selects cost about 0.35 ms of CPU
in SQLAlchemy's execution, context and result machinery, against about 0.1 ms in psycopg
itself. `rows` keeps SQLAlchemy as the one source of the SQL: the statement is compiled once
per dialect to the string and parameters SQLAlchemy would send, and its types still convert
what goes in and what comes out. Errors are SQLAlchemy's, as `execute` raises them, and
`before_cursor_execute` listeners still see each statement. Only PostgreSQL takes this path, and
only for a statement sent as it was compiled; SQLite, and a statement with an IN list (such
as a metric's filters), run through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Select
from sqlalchemy.sql.selectable import CompoundSelect

from recura.db.unit_of_work import core_connection

Processor = Callable[[Any], Any]
Statement = Select[Any] | CompoundSelect[Any]
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
    """The rows of `statement` (built once, with bound parameters) on the session's
    connection, after flushing the session as `session.execute` would."""
    connection = core_connection(session)
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return [tuple(row) for row in connection.execute(statement, params)]
    compiled = _compiled(statement, dialect)
    if not compiled.as_compiled:
        return [tuple(row) for row in connection.execute(statement, params)]
    values = compiled.parameters(params)
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None  # a connection in use is never detached
    cursor = dbapi.cursor()
    try:
        if connection.dispatch.before_cursor_execute:  # statement counts, tracing
            connection.dispatch.before_cursor_execute(
                connection, cursor, compiled.sql, values, None, False
            )
        cursor.execute(compiled.sql, values)
        found = cast(list[Row], cursor.fetchall())  # psycopg's is a list
        return compiled.convert(found, cursor) if found else found
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            compiled.sql, values, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()
