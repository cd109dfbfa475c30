"""Waiting in tests for something another thread or process does: on a condition, with a
limit no run on a busy machine reaches (the machine may run six test suites at once, and a
Python process can spend seconds importing); only something stuck gets there."""

from __future__ import annotations

import time
from collections.abc import Callable

PATIENCE = 1800.0


def wait_until(
    done: Callable[[], object],
    waiting_for: str,
    *,
    gone: Callable[[], str | None] = lambda: None,
    poll: float = 0.02,
) -> None:
    """Return once `done()` is true. Fail saying what never happened if `gone()` returns
    a reason first (what should make it happen has ended), or after `PATIENCE`."""
    started = time.monotonic()
    while not done():
        reason = gone()
        if reason is not None:
            raise AssertionError(f"{reason} before {waiting_for}")
        if time.monotonic() - started > PATIENCE:
            raise AssertionError(f"still waiting for {waiting_for} after {PATIENCE:.0f} s")
        time.sleep(poll)
