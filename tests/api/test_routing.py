"""The thread trips of a request: results, errors, context variables and cancellation."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from recura.api.routing import in_thread

_who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


def test_runs_in_another_thread_with_the_callers_context() -> None:
    async def main() -> tuple[str, bool]:
        _who.set("request")
        return await in_thread(lambda: (_who.get(), threading.current_thread() is main_thread))

    main_thread = threading.current_thread()
    assert asyncio.run(main()) == ("request", False)


def test_an_error_in_the_work_reaches_the_caller() -> None:
    def fail() -> None:
        raise LookupError("nope")

    with pytest.raises(LookupError, match="nope"):
        asyncio.run(in_thread(fail))


def test_a_cancelled_caller_waits_for_the_work_to_end() -> None:
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.2)
        finished.set()

    async def main() -> bool:
        task = asyncio.create_task(in_thread(slow))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return finished.is_set()

    # Cancelled only once the work is over: the session is never used by two at once.
    assert asyncio.run(main()) is True
