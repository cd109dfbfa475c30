"""What an engine sends to the database while a block runs, for tests that count it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements(engine: Engine, *, starting: tuple[str, ...] = ()) -> Iterator[list[str]]:
    """Each statement sent (those starting with one of `starting`, in capitals, if given)."""
    said: list[str] = []

    def record(*args: Any) -> None:
        statement = args[2].lstrip().upper()
        if not starting or statement.startswith(starting):
            said.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield said
    finally:
        event.remove(engine, "before_cursor_execute", record)
