"""Each test here has a database of its own (`tests.own_database`): the e-invoice maker the
worker runs follows every account's events, and then finds only that test's."""

from tests.own_database import database_url, engine, session_factory

__all__ = ["database_url", "engine", "session_factory"]
