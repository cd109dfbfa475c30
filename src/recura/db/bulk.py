"""Write many rows of one table at once: COPY on PostgreSQL, executemany on SQLite.

A billing run writes thousands of invoices, lines and events per batch; COPY is the fastest
way PostgreSQL takes rows, and within the session's transaction it commits or rolls back
with everything else. The COPY text is built here, one string per table: per-value dumpers
(psycopg's write_row) cost more than the database spends storing the row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import call, itemgetter
from typing import Any, cast

import orjson
import psycopg
from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    ColumnElement,
    String,
    Table,
    Text,
    any_,
    bindparam,
    insert,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.db.base import Base, UTCDateTime

# COPY's text format: backslash, tab, newline and carriage return are escaped; NULL is \N.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _json(value: Any) -> str:
    # orjson: the event payloads of a billing run are most of its COPY text, and it encodes
    # them much faster than the standard library (bench/README.md).
    return orjson.dumps(value).decode()


def _string(value: Any) -> str:
    if value.__class__ is str and value.isprintable() and "\\" not in value:
        # Nearly every string: nothing to escape (control characters are not printable).
        return value
    if value is None:
        return _NULL
    if not isinstance(value, str):
        return _text(value)
    if "\x00" in value:
        raise ValueError("a NUL character cannot be stored in PostgreSQL text")
    return value.translate(_ESCAPES)


def _text(value: Any) -> str:
    if value.__class__ is int:
        return str(value)
    if value is None:
        return _NULL
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _string(str(value))


def _time(value: Any) -> str:
    if value is None:
        return _NULL
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return _isoformat(value)


@lru_cache(maxsize=4096)
def _isoformat(value: datetime) -> str:
    # A batch's rows share a few instants (now, period boundaries): formatting costs more
    # than looking one up.
    return value.isoformat()


def _document(value: Any) -> str:
    # JSON has no raw control characters (the encoder escapes them), only backslashes to
    # double; jsonb refuses "\u0000" itself, as it would any NUL.
    return _json(value).replace("\\", "\\\\")


def _flag(value: Any) -> str:
    if value is None:
        return _NULL
    return "t" if value else "f"


def _writer(table: Table, name: str) -> Callable[[Any], str]:
    kind = table.c[name].type
    if isinstance(kind, JSON):
        return _document
    if isinstance(kind, UTCDateTime):
        return _time
    if isinstance(kind, Boolean):
        return _flag
    if isinstance(kind, String):
        return _string
    return _text


@lru_cache(maxsize=256)
def _plan(
    table: Table, columns: tuple[str, ...]
) -> tuple[Callable[[dict[str, Any]], tuple[Any, ...]], tuple[Callable[[Any], str], ...]]:
    """How a row of `columns` becomes a COPY line: its values in order, and each one's
    writer (a table's rows all take the same shape, and this runs for every row)."""
    if len(columns) == 1:
        name = columns[0]
        return (lambda row: (row[name],)), (_writer(table, name),)
    return itemgetter(*columns), tuple(_writer(table, name) for name in columns)


def copy_text(table: Table, columns: list[str], rows: Sequence[dict[str, Any]]) -> str:
    """`rows` in COPY's text format for `columns` of `table`."""
    values, writers = _plan(table, tuple(columns))
    return "".join(["\t".join(map(call, writers, values(row))) + "\n" for row in rows])


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column name, all with the same keys) into `model`'s table."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    connection = session.connection()
    columns = list(rows[0])
    if connection.dialect.name != "postgresql":
        for name in columns:
            if isinstance(table.c[name].type, UTCDateTime):
                for row in rows:
                    _time(row[name])  # the same error as COPY's, not a wrapped one
        connection.execute(insert(table), list(rows))
        return
    data = copy_text(table, columns, rows)
    names = ", ".join(f'"{c}"' for c in columns)
    raw = connection.connection.driver_connection
    assert raw is not None
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(data)
    except psycopg.errors.IntegrityError as exc:
        # As SQLAlchemy reports it for any other statement: callers handle one exception.
        raise IntegrityError(statement, None, exc) from exc


def update_rows(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> None:
    """Update rows of `model`'s table found by the `key` columns, each to its own values
    (dicts keyed by column name, all with the same keys): one statement for all of them on
    PostgreSQL (arrays unnested into a join), executemany on SQLite."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    columns = list(rows[0])
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        where = [table.c[k] == bindparam(f"key_{k}") for k in key]
        stmt = (
            update(table)
            .where(*where)
            .values({c: bindparam(f"value_{c}") for c in columns if c not in key})
        )
        connection.execute(
            stmt,
            [
                {**{f"value_{c}": v for c, v in row.items()}, **{f"key_{k}": row[k] for k in key}}
                for row in rows
            ],
        )
        return
    dialect = connection.dialect
    arrays, selects, sets = [], [], []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, JSON):
            # Sent as text and parsed by the server: one array parameter of any documents.
            # None as JSON null, as the ORM writes it.
            arrays.append(_array_literal([_json(row[name]) for row in rows]))
            sql_type, value = "text", f'v."{name}"::jsonb'
        else:
            if isinstance(kind, UTCDateTime):
                for row in rows:
                    _time(row[name])  # refuses naive datetimes
            arrays.append(_array_literal([row[name] for row in rows]))
            sql_type, value = kind.compile(dialect=dialect), f'v."{name}"'
        selects.append(f"%s::{sql_type}[]")
        if name not in key:
            sets.append(f'"{name}" = {value}')
    names = ", ".join(f'"{c}"' for c in columns)
    matches = " AND ".join(f't."{k}" = v."{k}"' for k in key)
    # Names from the table's metadata; every value is a parameter.
    statement = f'UPDATE "{table.name}" AS t SET {", ".join(sets)} '  # noqa: S608
    statement += f"FROM unnest({', '.join(selects)}) AS v({names}) WHERE {matches}"
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute(statement, arrays)
        if cursor.rowcount != len(rows):
            raise RuntimeError(f"{table.name}: updated {cursor.rowcount} of {len(rows)} rows")


def _array_literal(values: list[Any]) -> str:
    """`values` as one PostgreSQL array literal, every element quoted: built here, it costs
    a fraction of the driver's dumping of a list element by element."""
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        text = value
    elif isinstance(value, datetime):
        text = _isoformat(value)
    elif isinstance(value, bool):
        text = "t" if value else "f"
    else:
        text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def among(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter however many
    values (a list of thousands costs more to render and parse than to run)."""
    if session.get_bind().dialect.name != "postgresql":
        return cast(ColumnElement[bool], column.in_(values))
    return cast(ColumnElement[bool], column == any_(bindparam(None, list(values), ARRAY(Text()))))
