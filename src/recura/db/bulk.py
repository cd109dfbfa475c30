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
from typing import Any, cast

import orjson
import psycopg
from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    ColumnElement,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    insert,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.db.base import Base, UTCDateTime
from recura.db.unit_of_work import core_connection

# COPY's text format: backslash, tab, newline and carriage return are escaped; NULL is \N.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = frozenset("\\\t\n\r\x00")
_NULL = "\\N"


def _json(value: Any) -> str:
    # orjson: the event payloads of a billing run are most of its COPY text, and it encodes
    # them several times faster than the standard library.
    return orjson.dumps(value).decode()


def _string(value: Any) -> str:
    if value is None:
        return _NULL
    if not isinstance(value, str):
        return _text(value)
    if _SPECIAL.isdisjoint(value):
        return value
    if "\x00" in value:
        raise ValueError("a NUL character cannot be stored in PostgreSQL text")
    return value.translate(_ESCAPES)


def _text(value: Any) -> str:
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


Formatter = Callable[[dict[str, Any]], str]
# A row's COPY line, and its strings as they went in unescaped, run together.
QuickFormatter = Callable[[dict[str, Any]], tuple[str, str]]


def _quick_value(table: Table, name: str, i: int) -> tuple[str, str]:
    """Column `name` of row `r` as two expressions of the quick formatter: its COPY text,
    a string or an integer (most of a row) as it is, anything else through its writer
    `w{i}`; and the string it left unescaped, if any."""
    value = f"r[{name!r}]"
    writer = _writer(table, name)
    if writer is _string:
        return f"{value} if {value}.__class__ is str else w{i}({value})", (
            f"{value} if {value}.__class__ is str else ''"
        )
    if writer is _text:
        return f"{value} if {value}.__class__ is int else w{i}({value})", "''"
    return f"w{i}({value})", "''"


@lru_cache(maxsize=256)
def _formatters(table: Table, columns: tuple[str, ...]) -> tuple[QuickFormatter, Formatter]:
    """(quick, exact), each one generated expression (a table's rows all take the same
    shape, and this runs for every row of a billing run). `quick` leaves strings unescaped
    and gives them back too, run together: its line is right unless they hold a character
    to escape. `exact` escapes every value."""
    scope = {f"w{i}": _writer(table, name) for i, name in enumerate(columns)}
    exact = "\\t".join(f"{{w{i}(r[{name!r}])}}" for i, name in enumerate(columns))
    parts = [_quick_value(table, name, i) for i, name in enumerate(columns)]
    line = "\\t".join(f"{{{text}}}" for text, _ in parts)
    raw = "".join(f"{{{unescaped}}}" for _, unescaped in parts if unescaped != "''")
    quick = eval(f'lambda r: (f"{line}\\n", f"{raw}")', scope)  # noqa: S307 (built here)
    return quick, eval(f'lambda r: f"{exact}\\n"', scope)  # noqa: S307 (built here)


def copy_text(table: Table, columns: list[str], rows: Sequence[dict[str, Any]]) -> str:
    """`rows` in COPY's text format for `columns` of `table`."""
    quick, exact = _formatters(table, tuple(columns))
    lines = []
    for row in rows:
        line, unescaped = quick(row)
        # Control characters (tab, newline, carriage return, NUL) are not printable; a
        # string with one of those or a backslash is escaped, or refused: rare. The NULLs
        # (\N) and documents the writers gave are escaped already.
        if "\\" in unescaped or not unescaped.isprintable():
            line = exact(row)
        lines.append(line)
    return "".join(lines)


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


@lru_cache(maxsize=64)
def _record_type(model: type[Base]) -> tuple[type, tuple[Any, ...]]:
    keys, columns = [], []
    for prop in sa_inspect(model).column_attrs:
        keys.append(prop.key)
        columns.append(prop.columns[0])
    scope: dict[str, Any] = {}
    fields = ", ".join(f"self.{k}" for k in keys)
    source = f"def __init__(self, row):\n    self._loaded = row\n    ({fields},) = row"
    exec(source, scope)  # noqa: S102 (built here from the model's attribute names)
    record = type(
        f"{model.__name__}Record",
        (),
        {
            "__slots__": (*keys, "_loaded"),
            "__init__": scope["__init__"],
            "__doc__": f"A {model.__name__} row as plain attributes, outside the session.",
        },
    )
    return record, tuple(columns)


def record_columns(model: type[Base]) -> tuple[Any, ...]:
    """The columns to select for `records`, in the order it expects."""
    return _record_type(model)[1]


def changed(model: type[Base], items: Sequence[Any], names: Sequence[str]) -> list[str] | None:
    """Which of `names` differ from what was read on any of `items`, if they are all
    records (`records`); None when that is not known."""
    record, _ = _record_type(model)
    if not all(type(item) is record for item in items):
        return None
    index = {prop.key: i for i, prop in enumerate(sa_inspect(model).column_attrs)}
    return [
        name
        for name in names
        if any(getattr(item, name) != item._loaded[index[name]] for item in items)
    ]


def records(session: Session, model: type[Base], stmt: Select[Any]) -> list[Any]:
    """Rows of `stmt` (which selects `record_columns(model)`) as plain objects with the
    model's attribute names: a batch reads thousands, and an ORM instance's bookkeeping
    costs more than what the batch does with it. Nothing tracks them: whoever changes one
    writes it back (`update_rows`)."""
    record = _record_type(model)[0]
    # On the session's connection, fetched at once: the ORM's handling of a statement and
    # of each row, and a fetch per row, cost more than the query; records need none of it.
    return [record(row) for row in core_connection(session).execute(stmt).all()]
