"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import recura.db.models  # noqa: F401
from recura.db.base import Base


def test_autogenerate_finds_no_difference(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_every_tenant_table_keys_on_account_id(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        if table.name == "accounts":
            continue
        pk = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert pk[0] == "account_id", table.name
        for unique in inspector.get_unique_constraints(table.name):
            if unique["column_names"] != ["key_hash"]:  # a key's hash finds its account
                assert unique["column_names"][0] == "account_id", (table.name, unique)
