"""Fixtures that give each test of a directory a database of its own: its conftest imports
them. Workers run every due job they find, and then find only that test's rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from recura.db.engine import make_engine, make_session_factory
from tests.conftest import own_database


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    with own_database(template_database, tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
