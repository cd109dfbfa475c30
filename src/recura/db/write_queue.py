"""SQLite's one writer at a time, queued inside the process.

SQLite lets one transaction write at a time; the others wait on its busy timeout, polling
with growing sleeps, in no order, and give up with `database is locked` when it runs out.
Under many threads that fails requests that only had to wait their turn. Here a writer of
this process first takes its database's `WriteQueue`, first come first served, and only
then `BEGIN IMMEDIATE`; it leaves the queue when its transaction ends (commit, rollback, or
its connection closed). SQLite's own lock still keeps out other processes (a separate
`recura worker`, the CLI), which wait on the busy timeout as before.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import deque
from typing import Any

log = logging.getLogger(__name__)

# A writer that waits this long for its turn gives up. Only a transaction left open far too
# long (or a thread that waits for a write lock its own other transaction holds) gets there.
TURN_TIMEOUT = 30.0
# A turn longer than this keeps every other writer waiting noticeably: long work commits in
# smaller pieces, and one that does not is logged.
LONG_TURN = 1.0


class WriteQueue:
    """A lock handed to its waiters in the order they came (a plain `threading.Lock` lets a
    newcomer overtake threads that have waited long)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout):
            return True
        with self._mutex:
            try:
                self._waiters.remove(turn)
            except ValueError:
                return True  # handed over as the wait ran out: the turn is ours
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()  # still held: now by the next in line
            else:
                self._held = False

    @property
    def waiting(self) -> int:
        with self._mutex:
            return len(self._waiters)


_queues: dict[str, WriteQueue] = {}
_queues_lock = threading.Lock()


def queue_for(path: str) -> WriteQueue:
    """The queue of the database file at `path`: one per file, whichever engine opens it."""
    key = os.path.realpath(path)
    with _queues_lock:
        queue = _queues.get(key)
        if queue is None:
            queue = _queues[key] = WriteQueue()
        return queue


class QueuedConnection(sqlite3.Connection):
    """A connection that waits its turn in `write_queue` before it writes, and leaves the
    queue as soon as its transaction is over. Without a queue (an in-memory database) it
    is a plain connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.write_queue: WriteQueue | None = None
        self._has_turn = False
        self._turn_since = 0.0

    def wait_for_turn(self) -> None:
        if self.write_queue is None or self._has_turn:
            return
        if not self.write_queue.acquire(TURN_TIMEOUT):
            raise sqlite3.OperationalError(
                f"database is locked: no turn to write within {TURN_TIMEOUT:.0f} s"
            )
        self._has_turn = True
        self._turn_since = time.monotonic()

    def end_turn(self) -> None:
        if self._has_turn and not self.in_transaction:
            self._leave()

    def _leave(self) -> None:
        self._has_turn = False
        assert self.write_queue is not None
        self.write_queue.release()
        held = time.monotonic() - self._turn_since
        if held > LONG_TURN:
            log.warning(
                "a transaction in %s held the write lock for %.1f s",
                threading.current_thread().name,
                held,
            )

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._has_turn:
                self._leave()
