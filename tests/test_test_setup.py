"""How the suite runs: every run lists its slowest tests, the slow ones can be left out by
marker, and the tests whose workers run every due job have databases of their own."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.engine import make_engine
from recura.db.models import Account
from recura.db.unit_of_work import unit_of_work
from tests.conftest import T0, own_database
from tests.factories import create_account

ROOT = Path(__file__).resolve().parents[1]


def test_every_run_lists_the_slowest_tests_and_slow_is_a_marker() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    config = options["ini_options"]
    assert "--durations=20" in config["addopts"].split()
    assert any(marker.startswith("slow:") for marker in config["markers"])
    # `make test` runs everything: no marker is left out by default.
    assert "-m" not in config["addopts"].split()
    unit = (ROOT / "Makefile").read_text().split("unit: install\n", 1)[1].split("\n", 1)[0]
    assert "-m" not in unit.split("pytest", 1)[1].split()


def test_hypothesis_checks_no_wall_clock() -> None:
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check


@pytest.mark.parametrize(
    "module",
    [
        "tests/jobs/test_chaos_payments.py",
        "tests/jobs/test_concurrent_workers.py",
        "tests/notifications/test_email_crash.py",
        "tests/notifications/test_webhooks_crash.py",
    ],
)
def test_the_worker_process_tests_are_marked_slow(module: str) -> None:
    assert "pytestmark = pytest.mark.slow" in (ROOT / module).read_text()


def _accounts(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def test_an_own_database_starts_migrated_and_empty_and_is_nobody_elses(
    template_database: str,
    session_factory: sessionmaker[Session],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp_path, tmp_path_again = tmp_path_factory.mktemp("own"), tmp_path_factory.mktemp("own")
    with unit_of_work(session_factory) as session:
        create_account(session, T0)  # a row of the shared database
    with own_database(template_database, tmp_path) as url:
        engine = make_engine(url)
        try:
            assert _accounts(engine) == 0
            with Session(engine) as session, session.begin():
                create_account(session, T0)
            assert _accounts(engine) == 1
        finally:
            engine.dispose()
    with own_database(template_database, tmp_path_again) as url:
        engine = make_engine(url)
        try:
            assert _accounts(engine) == 0  # the previous copy's row is not in this one
        finally:
            engine.dispose()
