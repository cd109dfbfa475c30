"""The staged mechanism's deadline: a socket handed to it is cut when it passes, whatever
the read waiting on it; one whose item was answered in time is left alone; a call that
cannot be cut is abandoned. Its answers: heard as they come, recorded a hundred to a
transaction, one by one when that fails."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Any

import pytest

from recura import staged
from recura.clock import FixedClock
from tests.conftest import T0


@contextmanager
def silent_server() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected pair on loopback: (our end, the server's end), the server silent."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        ours = socket.create_connection(listener.getsockname(), timeout=60)
        theirs, _ = listener.accept()
        with ours, theirs:
            yield ours, theirs


def test_a_read_blocked_past_the_deadline_returns_when_it_passes() -> None:
    with silent_server() as (ours, _), staged.Deadline(0.3) as deadline:
        deadline.watch(ours)
        # The socket's own timeout is a minute: only the deadline ends this read.
        assert ours.recv(1) == b""
        assert deadline.passed


def test_a_socket_of_an_item_answered_in_time_is_left_alone() -> None:
    with silent_server() as (ours, theirs):
        with staged.Deadline(0.2) as deadline:
            deadline.watch(ours)
        done = threading.Event()
        threading.Timer(1.0, done.set).start()
        done.wait()  # well past the deadline
        theirs.sendall(b"x")
        assert ours.recv(1) == b"x"
        assert not deadline.passed


def test_a_call_that_does_not_return_in_time_is_abandoned() -> None:
    release = threading.Event()
    with staged.Deadline(0.2) as deadline, pytest.raises(staged.DeadlinePassed):
        deadline.call(lambda: release.wait(60))
    release.set()
    with staged.Deadline(30) as deadline:
        assert deadline.call(lambda: 42) == 42


class Counting(staged.Kind[int, str]):
    """Items 0..n-1 sent as "ok n"; records what was recorded how, and in which unit."""

    name = "numbers"

    def __init__(self, count: int, fail_together: bool = False, fail_item: int = -1) -> None:
        self.count = count
        self.fail_together = fail_together
        self.fail_item = fail_item
        self.together: list[list[int]] = []
        self.alone: list[int] = []
        self.heard_before_recorded: list[bool] = []
        self.heard_items: list[int] = []

    def claim(self, session: Any, now: datetime, limit: int) -> list[int]:
        return list(range(self.count))

    def send(self, item: int, deadline: staged.Deadline) -> str:
        return f"ok {item}"

    def unanswered(self, item: int, error: Exception) -> str:
        return "failed"

    def heard(self, item: int, answer: str) -> None:
        self.heard_items.append(item)
        self.heard_before_recorded.append(
            item not in self.alone and not any(item in batch for batch in self.together)
        )

    def record(self, session: Any, item: int, answer: str, now: datetime) -> None:
        assert answer == f"ok {item}"
        if item == self.fail_item:
            raise RuntimeError("this one cannot be recorded")
        self.alone.append(item)

    def record_many(self, session: Any, answered: Sequence[tuple[int, str]], now: datetime) -> None:
        if self.fail_together:
            raise RuntimeError("not all at once")
        self.together.append([item for item, _ in answered])


class Units:
    def __init__(self) -> None:
        self.opened = 0

    def __call__(self) -> AbstractContextManager[object]:
        self.opened += 1
        return nullcontext(object())


def test_answers_are_recorded_together_a_hundred_at_a_time() -> None:
    kind, units = Counting(250), Units()
    assert staged.run(units, FixedClock(T0), kind, 250) == 250  # type: ignore[arg-type]
    assert [len(batch) for batch in kind.together] == [100, 100, 50]
    assert [item for batch in kind.together for item in batch] == list(range(250))
    assert kind.alone == []
    assert units.opened == 1 + 3  # the claim, then one unit per hundred answers
    assert kind.heard_items == list(range(250))
    assert all(kind.heard_before_recorded)


def test_answers_that_cannot_be_recorded_together_are_recorded_one_by_one() -> None:
    kind, units = Counting(5, fail_together=True, fail_item=2), Units()
    staged.run(units, FixedClock(T0), kind, 5)  # type: ignore[arg-type]
    assert kind.together == []
    # Each in a unit of its own: the one that fails costs only itself.
    assert kind.alone == [0, 1, 3, 4]
    assert units.opened == 1 + 1 + 5
