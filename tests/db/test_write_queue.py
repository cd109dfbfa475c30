"""The process's queue of SQLite writers: first come, first served; a wait can run out."""

from __future__ import annotations

import threading
import time

from recura.db.write_queue import WriteQueue


def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.001)


def test_writers_get_their_turn_in_the_order_they_came() -> None:
    queue = WriteQueue()
    assert queue.acquire(timeout=0)
    order: list[int] = []

    def writer(i: int) -> None:
        assert queue.acquire(timeout=120)
        order.append(i)
        queue.release()

    threads = []
    for i in range(8):
        thread = threading.Thread(target=writer, args=(i,))
        thread.start()
        threads.append(thread)
        _until(lambda i=i: queue.waiting == i + 1, "the writer never queued")
    queue.release()
    for thread in threads:
        thread.join(timeout=120)
    assert order == list(range(8))
    assert queue.acquire(timeout=0)


def test_a_wait_that_runs_out_leaves_the_queue() -> None:
    queue = WriteQueue()
    assert queue.acquire(timeout=0)
    assert not queue.acquire(timeout=0.01)
    assert queue.waiting == 0
    queue.release()
    assert queue.acquire(timeout=0)
