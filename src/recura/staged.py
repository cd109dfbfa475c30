"""One way to send what leaves the database for another system: claim, send, record.

Payment attempts, emails and webhook deliveries go out the same way. A `Kind` says how to
claim a batch of its items, send one and record its answer; `run` does the rest:

1. claim, in one transaction: due items, locked with SKIP LOCKED on PostgreSQL so that
   other workers take others, marked with the claim's time; commit.
2. send each outside any transaction, within a total deadline (`Deadline`): a connection
   still open when it passes is cut, whatever it is doing, so a receiver that drips a byte
   every few seconds (never tripping a per-read timeout) holds an item no longer than that.
3. record the answers together, up to RECORD_TOGETHER in one short transaction (one
   commit for many); when that fails, each in its own, so one bad answer costs only itself.

One rule settles claims whose worker is gone: an item claimed `CLAIM_EXPIRES` ago and not
answered is abandoned, and its kind's claim takes it again under the kind's own rule (a
payment is asked about, never charged again blindly; an email or a delivery is sent again
under the same Message-ID or webhook-id, which receivers deduplicate on). So that no live
claim looks abandoned, an item is sent only if its deadline falls before its claim
expires; what a late batch could not send in time is released unsent.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from recura.clock import Clock
from recura.db.unit_of_work import Units

log = logging.getLogger(__name__)

# The one stale-claim rule: claimed this long ago without an answer, an item is abandoned.
CLAIM_EXPIRES = timedelta(minutes=5)
# How many sends one lane (a webhook endpoint) may have in flight while others wait.
LANE_SHARE = 2
# Answers recorded in one transaction: a commit per answer cost more than the sending.
RECORD_TOGETHER = 100

T = TypeVar("T")
Item = TypeVar("Item")
Answer = TypeVar("Answer")


def abandoned_before(now: datetime) -> datetime:
    """Items claimed before this instant and still unanswered have lost their worker."""
    return now - CLAIM_EXPIRES


class DeadlinePassed(Exception):
    """The item's total deadline passed before it was answered."""


class Deadline:
    """A total time limit for sending one item. Sockets handed to `watch` are shut down
    when it passes (a blocked read or write returns at once); a call that cannot be cut so
    runs in a thread through `call`, and is abandoned when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = False
        self.passed = False
        _watchdog.add(self)

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def remaining(self) -> float:
        return max(self.at - time.monotonic(), 0.0)

    def watch(self, sock: socket.socket) -> None:
        """Cut `sock` when the deadline passes (at once, if it has)."""
        with self._lock:
            if not self._done:
                self._sockets.append(sock)
                return
        if self.passed:
            _cut(sock)

    def close(self) -> None:
        """The item is answered: its sockets are left alone from now on."""
        with self._lock:
            self._done = True
            self._sockets.clear()

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = self.passed = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _cut(sock)

    def call(self, fn: Callable[[], T]) -> T:
        """`fn()` in a helper thread; DeadlinePassed when it has not returned in time (it
        is not started at all once the deadline has passed)."""
        future = _calls.submit(lambda: None if self.passed else fn())
        try:
            result = future.result(timeout=self.remaining())
        except TimeoutError:
            future.cancel()
            raise DeadlinePassed(f"no answer within {self.seconds:g} s") from None
        if self.passed:
            raise DeadlinePassed(f"no answer within {self.seconds:g} s")
        return result  # type: ignore[return-value]


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already, or never connected
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One thread that expires deadlines as they pass."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self._wake:
            heapq.heappush(self._heap, (deadline.at, next(self._counter), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="recura-deadlines", daemon=True
                )
                self._thread.start()
            if self._heap[0][2] is deadline:  # sooner than the one it waits for
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                at, _, deadline = self._heap[0]
                wait_for = at - time.monotonic()
                if wait_for > 0:
                    self._wake.wait(wait_for)
                    continue
                heapq.heappop(self._heap)
            deadline.expire()


_watchdog = _Watchdog()
# Calls that cannot be cut (a processor's SDK) run here; one stuck past its deadline keeps
# its thread until its own timeout, and the calls queued behind it are not started late.
_calls = ThreadPoolExecutor(16, thread_name_prefix="recura-deadline-call")


class Kind(ABC, Generic[Item, Answer]):
    """What `run` needs to know about one kind of item. An instance serves one batch."""

    name: str = "items"
    # Seconds one item may take to send, in all.
    deadline: float = 30.0
    # Items sent at once; several only for kinds whose items go to many places.
    threads: int = 1
    # Rows the last claim took, settled on the spot (nothing to send) or not: a kind whose
    # claim settles some sets it, so that a full batch reads as one (there may be more).
    taken: int = 0

    @abstractmethod
    def claim(self, session: Session, now: datetime, limit: int) -> Sequence[Item]:
        """Due items (and abandoned ones, `abandoned_before`), locked and marked claimed
        at `now`, ready to be sent once committed."""

    @abstractmethod
    def send(self, item: Item, deadline: Deadline) -> Answer:
        """Send one item, no transaction open; `deadline` is cut when it passes."""

    @abstractmethod
    def unanswered(self, item: Item, error: Exception) -> Answer:
        """The answer to record when `send` raised."""

    @abstractmethod
    def record(self, session: Session, item: Item, answer: Answer, now: datetime) -> None:
        """Record one answer, unless the item was claimed again since."""

    def record_many(
        self, session: Session, answered: Sequence[tuple[Item, Answer]], now: datetime
    ) -> None:
        """Record many answers in one transaction: by default one after another; a kind
        that can read or write them at once does."""
        for item, answer in answered:
            self.record(session, item, answer, now)

    def heard(self, item: Item, answer: Answer) -> None:
        """An answer has come (it is recorded later, with others): what the batch must
        know at once, such as a lane failing, is noted here."""

    def release(self, session: Session, items: Sequence[Item], now: datetime) -> None:
        """Claimed items not sent after all (too late, or held back): by default they are
        left for the stale-claim rule."""

    def lane(self, item: Item) -> str:
        """Items of one lane (a webhook endpoint) share the threads fairly with others."""
        return ""

    def held(self, item: Item) -> bool:
        """Not to be sent in this batch after all (its lane is being held back)."""
        return False


def run(units: Units, clock: Clock, kind: Kind[Item, Answer], limit: int) -> int:
    """One batch of `kind`: claim (one commit), send each, record them. Returns how many
    rows the claim took."""
    claimed_at = clock.now()
    with units() as session:
        items = list(kind.claim(session, claimed_at, limit))
    taken = max(kind.taken, len(items))
    if not items:
        return taken
    expires = claimed_at + CLAIM_EXPIRES
    unsent: list[Item] = []

    def sendable(item: Item) -> bool:
        if kind.held(item):
            return False
        return clock.now() + timedelta(seconds=kind.deadline) <= expires

    def send(item: Item) -> Answer:
        with Deadline(kind.deadline) as deadline:
            try:
                return kind.send(item, deadline)
            except Exception as error:
                if not isinstance(error, DeadlinePassed):
                    log.exception("sending one of the %s failed", kind.name)
                return kind.unanswered(item, error)

    answered: list[tuple[Item, Answer]] = []

    def record(item: Item, answer: Answer) -> None:
        kind.heard(item, answer)
        answered.append((item, answer))
        if len(answered) >= RECORD_TOGETHER:
            _record(units, clock, kind, answered)
            answered.clear()

    if kind.threads <= 1:
        for item in items:
            if sendable(item):
                record(item, send(item))
            else:
                unsent.append(item)
    else:
        _in_parallel(items, kind, sendable, send, record, unsent)
    _record(units, clock, kind, answered)
    if unsent:
        try:
            with units() as session:
                kind.release(session, unsent, clock.now())
        except Exception:
            log.exception("could not release %d unsent %s", len(unsent), kind.name)
    return taken


def _record(
    units: Units, clock: Clock, kind: Kind[Item, Answer], answered: list[tuple[Item, Answer]]
) -> None:
    """Record `answered` in one transaction, or else each in its own."""
    if not answered:
        return
    try:
        with units() as session:
            kind.record_many(session, answered, clock.now())
        return
    except Exception:
        log.warning(
            "could not record %d answers to %s at once; one by one",
            len(answered),
            kind.name,
            exc_info=True,
        )
    for item, answer in answered:
        try:
            with units() as session:
                kind.record(session, item, answer, clock.now())
        except Exception:  # still claimed: the stale-claim rule takes it
            log.exception("could not record the answer to one of the %s", kind.name)


def _in_parallel(
    items: list[Item],
    kind: Kind[Item, Answer],
    sendable: Callable[[Item], bool],
    send: Callable[[Item], Answer],
    record: Callable[[Item, Answer], None],
    unsent: list[Item],
) -> None:
    """Send on `kind.threads` threads, taking the answers in this one as they come. A lane gets
    at most LANE_SHARE threads while another lane's items wait, all of them otherwise."""
    waiting = list(items)
    busy: Counter[str] = Counter()
    running: dict[Future[Answer], Item] = {}
    with ThreadPoolExecutor(kind.threads, thread_name_prefix=f"recura-{kind.name}") as pool:
        while waiting or running:
            while waiting and len(running) < kind.threads:
                item = _next(waiting, busy, kind)
                if not sendable(item):
                    unsent.append(item)
                    continue
                busy[kind.lane(item)] += 1
                running[pool.submit(send, item)] = item
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                busy[kind.lane(item)] -= 1
                record(item, future.result())


def _next(waiting: list[Item], busy: Counter[str], kind: Kind[Item, Answer]) -> Item:
    for index, item in enumerate(waiting):
        if busy[kind.lane(item)] < LANE_SHARE:
            return waiting.pop(index)
    return waiting.pop(0)
