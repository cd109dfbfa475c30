"""One transaction per request or job: the caller commits, services never do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

# Opens one unit of work per call: work that commits in steps (a charge, a test clock's
# advance) takes one of these rather than a session.
Units = Callable[[], AbstractContextManager[Session]]


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        with _committed(session):
            yield session
    finally:
        session.close()


@contextmanager
def _committed(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def units_of(factory: sessionmaker[Session]) -> Units:
    """A new session per unit."""
    return lambda: unit_of_work(factory)


def units_on(session: Session) -> Units:
    """Units that are successive transactions of one session (a request's): each commits
    what the session did before it, so nothing it reads stays open into the next step."""
    return lambda: _step_of(session)


def _step_of(session: Session) -> AbstractContextManager[Session]:
    session.commit()
    return _committed(session)


def within(session: Session) -> Units:
    """Units that all join the caller's one transaction: for work nobody else can see until
    it commits (the demo loader's new account), where committing in steps would leave half
    of it behind after a failure."""
    return lambda: nullcontext(session)


def core_connection(session: Session) -> Connection:
    """The session's connection, flushed first as `session.execute` would: Core statements
    run on it skip the ORM's per-execution work, which on the hot read paths costs more than
    the query."""
    if session.autoflush:
        session.flush()
    return session.connection()
