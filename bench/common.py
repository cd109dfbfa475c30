"""What the benchmarks share: a throw-away PostgreSQL database, a migrated account with a
test API key, a free loopback port, and the CPU time processes used."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from recura.db.migrate import upgrade
from recura.domains.accounts import service as accounts
from recura.domains.accounts.schemas import AccountCreate

ADMIN = os.environ.get("RECURA_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def database(label: str, template: str | None = None) -> Iterator[str]:
    """A new database on the server of RECURA_BENCH_PG_ADMIN (default: the test server's
    `test` database), a copy of `template` if given, dropped afterwards; yields its
    postgresql:// URL."""
    name = f"recura_bench_{label}_{os.getpid()}"
    copied = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"{copied}')
    try:
        yield f"{ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(name: str) -> bool:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def keep_copy(url: str, name: str) -> None:
    """Save the database of `url` (no one connected to it) as `name`, for a later run's
    `database(..., template=name)`."""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"')


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) the process `pid` has used so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """The processes of a PostgreSQL server on this machine (its backends included)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm", encoding="ascii") as comm:
                    if comm.read().strip() == "postgres":
                        found.append(int(entry))
            except OSError:
                continue
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bench_account(engine: Engine, session: Session, secret: str, now: datetime) -> tuple[str, str]:
    """Migrate, then create the bench account (Bucharest time); its id and a test API key."""
    upgrade(engine)
    created = accounts.create_account(
        session,
        AccountCreate(
            legal_name="Bench SRL",
            country="RO",
            default_currency="RON",
            timezone="Europe/Bucharest",
            locale="ro",
            invoice_series_prefix="BEN",
        ),
        now,
    )
    key = accounts.issue_key(session, created.id, False, "bench", secret.encode(), now)
    return created.id, key.token
