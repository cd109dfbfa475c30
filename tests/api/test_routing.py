"""The thread trips of a request: results, errors, context variables and cancellation; and
the reads answered on the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from tests.conftest import Api, make_merchant
from tests.fakes.server_thread import serve_in_thread

from recura.api.app import create_app
from recura.api.routing import answer_read, in_thread
from recura.config import Settings
from recura.db.engine import make_engine, make_read_session_factory

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


class _Where(BaseModel):
    thread: str
    answer: int


def _answered_in(engine: Engine, method: str = "GET") -> tuple[str, bool]:
    """Where `answer_read` ran its work on a fresh read session of `engine`, and whether it
    finished the request (committed and closed the session)."""
    session = make_read_session_factory(engine)()
    app = SimpleNamespace(state=SimpleNamespace(engine=engine))
    request = Request({"type": "http", "method": method, "app": app, "headers": [], "state": {}})
    request.state.session = session
    request.state.may_finish = True

    def work(session: Session) -> _Where:
        answer = session.execute(text("SELECT 42")).scalar_one()
        return _Where(thread=threading.current_thread().name, answer=answer)

    response = asyncio.run(answer_read(request, work))
    found = _Where.model_validate(orjson.loads(bytes(response.body)))
    assert found.answer == 42
    return found.thread, request.state.finished


def test_a_read_is_answered_on_the_loop_while_a_connection_is_idle(
    engine: Engine, database_url: str
) -> None:
    loop_thread = threading.current_thread().name
    fresh = make_engine(database_url)
    try:
        # No connection made yet: none is idle, and waiting for one would hold the loop.
        thread, finished = _answered_in(fresh)
        assert thread != loop_thread
        assert finished
        # The first one is back in the pool: the next read takes it without waiting.
        assert _answered_in(fresh) == (loop_thread, True)
        # Only reads: anything else keeps to its thread, connection or not.
        assert _answered_in(fresh, "POST")[0] != loop_thread
        assert fresh.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        fresh.dispose()


def test_a_sync_endpoint_commits_its_writes_in_its_own_thread(api: Api, engine: Engine) -> None:
    """A writer's transaction ends where its work did: on SQLite it holds the database's one
    write lock until then, and another trip to a thread would keep the others waiting."""
    begun: list[str] = []
    committed: list[str] = []

    def on_begin(_conn: object) -> None:
        begun.append(threading.current_thread().name)

    def on_commit(_conn: object) -> None:
        committed.append(threading.current_thread().name)

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "commit", on_commit)
    try:
        api.ok("GET", "/v1/customers")  # authenticated: the key is kept a moment
        begun.clear()
        committed.clear()
        api.ok("POST", "/v1/customers", 201, json={"name": "Ana"})
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "commit", on_commit)
    assert len(begun) == 1
    assert committed[:1] == begun


def test_requests_past_the_pools_size_wait_for_a_connection_instead_of_failing(
    engine: Engine, session_factory: sessionmaker[Session], settings: Settings, database_url: str
) -> None:
    """Many more clients than the pool has connections: each is answered. Without a bound,
    requests in threads waited in the pool for connections held by requests whose commit
    waited for one of those threads, until the pool's timeout failed them."""
    small = make_engine(database_url, pool_size=2, max_overflow=2, pool_timeout=5)
    app = create_app(settings, engine=small)
    merchant = make_merchant(session_factory, TestClient(app))
    headers = {"Authorization": f"Bearer {merchant.test_key}"}

    def ask(n: int) -> int:
        with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
            if n % 3 == 0:
                return client.post("/v1/customers", json={"name": f"C{n}"}).status_code
            return client.get("/v1/customers", params={"limit": 5}).status_code

    try:
        with serve_in_thread(app) as base, ThreadPoolExecutor(max_workers=60) as clients:
            answers = list(clients.map(ask, range(240)))
    finally:
        small.dispose()
    assert sorted(set(answers)) == [200, 201]
