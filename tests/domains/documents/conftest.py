"""Each test here has a database of its own (`tests.own_database`): the workers it runs
find only its rows."""

from tests.own_database import database_url, engine, session_factory

__all__ = ["database_url", "engine", "session_factory"]
