"""Write many rows of one table at once: COPY on PostgreSQL, executemany on SQLite.

A billing run writes thousands of invoices, lines and events per batch; COPY is the fastest
way PostgreSQL takes rows, and within the session's transaction it commits or rolls back
with everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.db.base import Base, UTCDateTime


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column name, all with the same keys) into `model`'s table."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    time_columns = {c for c in columns if isinstance(table.c[c].type, UTCDateTime)}
    for name in time_columns:
        for row in rows:
            if row[name] is not None and row[name].tzinfo is None:
                raise ValueError("naive datetime given to the database")
    names = ", ".join(f'"{c}"' for c in columns)
    raw = connection.connection.driver_connection
    assert raw is not None
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([Jsonb(row[c]) if c in json_columns else row[c] for c in columns])
    except psycopg.errors.IntegrityError as exc:
        # As SQLAlchemy reports it for any other statement: callers handle one exception.
        raise IntegrityError(statement, None, exc) from exc
