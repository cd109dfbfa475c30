"""One transaction per request or job: the caller commits, services never do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def core_connection(session: Session) -> Connection:
    """The session's connection, flushed first as `session.execute` would: Core statements
    run on it skip the ORM's per-execution work, which on the hot read paths costs more than
    the query."""
    if session.autoflush:
        session.flush()
    return session.connection()
