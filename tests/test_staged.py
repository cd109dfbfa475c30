"""The staged mechanism's deadline: a socket handed to it is cut when it passes, whatever
the read waiting on it; one whose item was answered in time is left alone; a call that
cannot be cut is abandoned."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from recura import staged


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
