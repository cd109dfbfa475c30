"""Fixtures shared by every database test: each runs once on SQLite and once on PostgreSQL.

PostgreSQL is the local server at 127.0.0.1:5432 (user postgres, trust auth). Without it those
tests skip with the reason shown, unless RECURA_REQUIRE_POSTGRES=1 (as in CI), where they fail.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import service as accounts
from recura.domains.accounts.schemas import AccountCreate

# Fixtures more than one directory uses, defined once.
pytest_plugins = [
    "tests.fakes.localstripe",
    "tests.fakes.processor_api",
    "tests.notifications.mailbox",
    "tests.fakes.vies_server",
]

# Processors' API requests never leave this machine in tests: a closed loopback port, unless a
# test points them at a fake (tests/fakes/processor_api.py).
for _gateway in ("STRIPE", "PAYPAL"):
    os.environ.setdefault(f"RECURA_{_gateway}_API_BASE", "http://127.0.0.1:9")
# VAT numbers are checked with VIES only at a fake (the `vies` fixture) or nowhere.
os.environ.setdefault("RECURA_VIES_URL", "http://127.0.0.1:9")
# Hypothesis's own wall-clock checks (an example's deadline, slow input generation) fail on a
# machine that runs several suites at once: the properties are what the tests check.
settings.register_profile("recura", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("recura")
PG_ADMIN = os.environ.get("RECURA_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "test-secret-key-that-is-long-enough-0123456789"
T0 = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A real browser over real pages: the slowest tests there are.
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.slow)


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _postgres_database(run_id: str, worker_id: str) -> str:
    """A fresh database per run and xdist worker: parallel workers, and two test runs at
    once on one server, never share or drop each other's rows."""
    name = f"recura_test_{run_id[:12]}_{worker_id}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {PG_ADMIN}: {str(exc).strip()}"
        if os.environ.get("RECURA_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """ "sqlite" or "postgresql": every database test runs on each."""
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory, worker_id: str, testrun_uid: str
) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'recura.db'}"
        return
    url = _postgres_database(testrun_uid, worker_id)
    yield url
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def template_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory, worker_id: str, testrun_uid: str
) -> Iterator[str]:
    """A migrated database nobody stays connected to: `own_database` copies it."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'recura.db'}"
    else:
        url = _postgres_database(testrun_uid, f"{worker_id}_template")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    if backend != "sqlite":
        _drop_postgres_database(url)


_copies = itertools.count()


@contextmanager
def own_database(template_url: str, folder: Path) -> Iterator[str]:
    """A fresh, migrated database for one test, copied from `template_url`, removed after:
    what runs every due job it finds (a worker) finds only that test's rows."""
    if template_url.startswith("sqlite"):
        path = folder / "own.db"
        shutil.copyfile(template_url.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    template = template_url.rsplit("/", 1)[1]
    url = f"{template_url.rsplit('/', 1)[0]}/{template}_{next(_copies)}"
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield url
    finally:
        _drop_postgres_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with unit_of_work(session_factory) as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Webhook receivers in tests listen on loopback.
    return Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        webhooks_allow_private=True,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@dataclass
class Merchant:
    """An account with a test and a live key, and clients that send them."""

    account_id: str
    test_key: str
    live_key: str
    api: Api
    live: Api


class Api:
    """A TestClient that authenticates with one key and asserts on problem documents."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, response.text
        return response.json()


def make_merchant(
    factory: sessionmaker[Session], client: TestClient, name: str = "Test Merchant SRL"
) -> Merchant:
    with unit_of_work(factory) as session:
        account = accounts.create_account(
            session,
            AccountCreate(
                legal_name=name,
                country="RO",
                default_currency="RON",
                timezone="Europe/Bucharest",
                locale="ro",
                invoice_series_prefix="NDT",
            ),
            T0,
        )
        test = accounts.issue_key(session, account.id, False, "test", SECRET.encode(), T0)
        live = accounts.issue_key(session, account.id, True, "live", SECRET.encode(), T0)
    return Merchant(
        account_id=account.id,
        test_key=test.token,
        live_key=live.token,
        api=Api(client, test.token),
        live=Api(client, live.token),
    )


@pytest.fixture
def client(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def merchant(session_factory: sessionmaker[Session], client: TestClient) -> Merchant:
    return make_merchant(session_factory, client)


@pytest.fixture
def api(merchant: Merchant) -> Api:
    return merchant.api
