"""Alembic environment: the URL comes from the caller (recura migrate) or RECURA_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import recura.db.models  # noqa: F401  (registers every table)
from recura.config import load_settings
from recura.db.base import Base
from recura.db.engine import make_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `recura migrate`")
run_online()
