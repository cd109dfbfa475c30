"""Queries live in repositories: outside a `repository.py`, no module of recura builds a
select, update, delete or insert statement, runs one on the session, reads a row by its key
or takes a row lock; services, routers and pages call the repository's named functions
instead. Read from the source with `ast`, so no database is needed."""

from __future__ import annotations

import ast
from pathlib import Path

import recura

SRC = Path(recura.__file__).parent
STATEMENTS = frozenset({"select", "update", "delete", "insert"})
# What a session is asked that reads or writes rows (add, delete and flush are the unit of
# work's, and stay with the services).
SESSION_READS = frozenset({"get", "get_one", "scalar", "scalars", "execute", "query"})

# Whole folders that build statements of their own.
EXEMPT_FOLDERS = (
    # The engine, sessions, bulk statements and the driver-level reads every repository uses.
    "db/",
)
EXEMPT_FILES = {
    # Tenant-scoped lookup by id or code, generic over the model: the repositories' helper.
    "domains/common/lookup.py",
    # Keyset pagination of any statement a repository builds.
    "domains/common/pages.py",
    # The sandbox processor's own ledger, read on its own engine like a processor's API:
    # below the domains (gateways may not import them), so it has no repository to call.
    "gateways/sandbox.py",
}
# Modules whose queries are still to move into their domain's repository. Each is named so
# the list only shrinks: once one has no query left, the test asks for its removal here.
PENDING_FOLDERS: tuple[str, ...] = ()
PENDING_FILES: set[str] = set()


def queries(source: str) -> list[tuple[int, str]]:
    """(line, what) of each query in `source`: a call of SQLAlchemy's select/update/delete/
    insert, by an imported name (`select(...)`, `pg_insert(...)`) or through an imported
    module (`sa.select(...)`, `postgresql.insert(...)`); a read on the session
    (`session.get(...)`, `session.scalars(...)`); a row lock (`with_for_update`)."""
    tree = ast.parse(source)
    functions: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if alias.name in STATEMENTS:
                    functions[alias.asname or alias.name] = alias.name
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    modules.add(alias.asname or alias.name.split(".")[0])
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if isinstance(called, ast.Name) and called.id in functions:
            found.append((node.lineno, functions[called.id]))
        elif (
            isinstance(called, ast.Attribute)
            and called.attr in SESSION_READS
            and isinstance(called.value, ast.Name)
            and called.value.id == "session"
        ):
            found.append((node.lineno, f"session.{called.attr}"))
        elif locks(node):
            found.append((node.lineno, "with_for_update"))
        elif (
            isinstance(called, ast.Attribute)
            and called.attr in STATEMENTS
            and isinstance(called.value, ast.Name)
            and called.value.id in modules
        ):
            found.append((node.lineno, called.attr))
    return sorted(found)


def locks(call: ast.Call) -> bool:
    """`statement.with_for_update(...)`, or `session.refresh(row, with_for_update=True)`."""
    if isinstance(call.func, ast.Attribute) and call.func.attr == "with_for_update":
        return True
    return any(keyword.arg == "with_for_update" for keyword in call.keywords)


def _modules() -> dict[str, str]:
    return {
        path.relative_to(SRC).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(SRC.rglob("*.py"))
    }


def _exempt(name: str) -> bool:
    if name.endswith("/repository.py") or name in EXEMPT_FILES or name in PENDING_FILES:
        return True
    return name.startswith(EXEMPT_FOLDERS + PENDING_FOLDERS)


def test_queries_are_in_repositories_only() -> None:
    offenders = [
        f"{name}:{line}: {called}(...)"
        for name, source in _modules().items()
        if not _exempt(name)
        for line, called in queries(source)
    ]
    assert not offenders, (
        "Put the query in the aggregate's repository.py and call it by name:\n"
        + "\n".join(offenders)
    )


def test_every_exempt_file_still_needs_it() -> None:
    modules = _modules()
    stale = sorted(
        name
        for name in EXEMPT_FILES | PENDING_FILES
        if name not in modules or not queries(modules[name])
    )
    assert not stale, f"No query here any more; drop it from the list: {stale}"


def test_the_scan_sees_every_spelling() -> None:
    source = """
import sqlalchemy as sa
from sqlalchemy import Select, func, select as sel, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from recura.domains.features import repository

sel(Thing)
update(Thing).values(a=1)
sa.delete(Thing)
postgresql.insert(Thing)
sqlite_insert(Thing)
repository.delete_grants(session, tenant)
func.count()
{}.update(a=1)
Select
session.get(Thing, ("acct", "id"))
session.scalars(statement)
session.add(row)
stmt.with_for_update(skip_locked=True)
session.refresh(row, with_for_update=True)
"""
    assert queries(source) == [
        (8, "select"),
        (9, "update"),
        (10, "delete"),
        (11, "insert"),
        (12, "insert"),
        (17, "session.get"),
        (18, "session.scalars"),
        (20, "with_for_update"),
        (21, "with_for_update"),
    ]
