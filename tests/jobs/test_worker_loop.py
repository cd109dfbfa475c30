"""The worker's loop: after a pass that did work, or left some, the next starts at once;
only a pass that found nothing waits the interval."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from recura.jobs import worker


class Recorded(threading.Event):
    """A stop event that notes each wait and stops after the last pass."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return self.is_set()


def test_only_an_idle_pass_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    passes = [
        worker.Pass({"billing": 40, "send_emails": 0}),  # did work: its emails come next
        worker.Pass({"billing": 0, "send_emails": 40}),
        worker.Pass({"billing": 0, "send_emails": 0}, unfinished=set()),  # idle: wait
        worker.Pass({"billing": 0, "send_emails": -1}),  # a handler failed: wait
        worker.Pass({"billing": 0}, unfinished={"billing"}),  # work left
        worker.Pass({"billing": 0}),
    ]
    stop = Recorded()
    after: list[int] = []

    def run_pass(*_: Any, **__: Any) -> worker.Pass:
        done = passes.pop(0)
        after.append(len(stop.waits))
        if not passes:
            stop.set()
        return done

    monkeypatch.setattr(worker, "run_pass", run_pass)
    worker.run_forever(None, None, 5.0, stop)  # type: ignore[arg-type]
    # Waits happened after the third, fourth and sixth passes only.
    assert after == [0, 0, 0, 1, 2, 2]
    assert stop.waits == [5.0, 5.0, 5.0]
