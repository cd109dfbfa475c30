"""The request is the unit of work: one session, committed after the endpoint succeeds
(a GET's session only reads, on PostgreSQL outside any transaction).

POSTs with an `Idempotency-Key` run at most once per key: a replay gets the stored response,
a different body with the same key gets 422, and a twin that arrives while the first is still
running gets 409. The first renews its claim on the key while it runs; one that died stops
renewing, and a retry runs once the claim's lease has run out.

Blocking work (the database) runs in `in_thread`. An async endpoint can hand its work to
`finish_in_thread`, which commits in the same trip (`answer_in_thread` also serializes the
answer there). The hottest read, a few indexed rows, is answered on the event loop itself
(`answer_read`) while the pool has a connection to spare.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import orjson
from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool, QueuePool

from recura.api import audit_trail, permissions
from recura.api.deps import recently_authenticated, request_actor, resolve_tenant
from recura.api.problems import ProblemError, ProblemField, problem_responses
from recura.domains.accounts import scopes
from recura.domains.accounts.api_keys import KeyHolder
from recura.domains.common import actor
from recura.domains.common.tenant import Tenant
from recura.domains.idempotency import service as idempotency

Handler = Callable[[Request], Awaitable[Response]]
log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_KEY_LENGTH = 255
# Requests that only read get a session that never writes (see make_read_session_factory).
_READS = frozenset({"GET", "HEAD"})
# As many as anyio's default limit for FastAPI's thread pool; the engine's pool (10 + 20
# overflow) bounds the sessions that can be busy at once anyway.
_THREADS = ThreadPoolExecutor(max_workers=40, thread_name_prefix="recura-request")
# The request being answered, for a sync endpoint's thread (see `_committing`).
_REQUEST: contextvars.ContextVar[Request] = contextvars.ContextVar("recura_request")


async def in_thread(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` in a worker thread, with the caller's context variables. About half the
    CPU of anyio's `to_thread` (no capacity limiter, no cancel scope), and a request takes
    several trips. Like `to_thread`, a cancelled caller still waits for the work to end, so
    nothing touches the session while the thread may."""
    context = contextvars.copy_context()
    future = asyncio.get_running_loop().run_in_executor(_THREADS, context.run, work, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        while not future.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([future])
        raise


class _Request(Request):
    """JSON bodies parsed by orjson: faster than the standard library on the API's largest
    bodies (batches of 1,000 usage events). It also refuses what RFC 8259
    does (NaN, Infinity, lone surrogates), as a JSON error like any other."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class UnitOfWorkRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint)
        kwargs["responses"] = {**problem_responses(403), **(kwargs.get("responses") or {})}
        # What an API key's scope is checked against (api/permissions.py); set before
        # FastAPI builds the handler.
        self.family = permissions.family_of(path)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()
        known_query = _query_names(self.dependant)
        family = self.family
        audits = {m: audit_trail.spec_for(m, self.path) for m in self.methods or ()}

        async def run(request: Request) -> Response:
            slots: asyncio.Semaphore | None = request.app.state.connection_slots
            if slots is None:
                return await answer(request)
            async with slots:
                return await answer(request)

        async def answer(request: Request) -> Response:
            request = _Request(request.scope, request.receive)
            _REQUEST.set(request)
            state = request.app.state
            reads = request.method in _READS
            session: Session = (state.read_session_factory if reads else state.session_factory)()
            request.state.session = session
            request.state.finished = False
            acting = None
            try:
                # Who is asking comes before what they sent: no key is a 401, not a 422.
                if not recently_authenticated(request):
                    await in_thread(_authenticate, request, reads)
                holder: KeyHolder = request.state.api_key
                state.key_usage.note(holder, state.clock.now())
                _authorize(holder, family, request.method)
                # Events recorded anywhere below carry the request's actor.
                acting = actor.set_current(request_actor(request))
                request.state.audit_spec = audits.get(request.method)
                _reject_unknown_query(request, known_query)
                key = request.headers.get("idempotency-key")
                if request.method == "POST" and key is not None:
                    # The stored answer joins the endpoint's transaction: no early commit.
                    request.state.may_finish = False
                    response = await _idempotent(request, handler, session, key)
                    await in_thread(session.close)
                    return response
                request.state.may_finish = True
                response = await handler(request)
            except BaseException:
                await in_thread(_discard, session)
                raise
            finally:
                if acting is not None:
                    actor.reset_current(acting)
            if not request.state.finished:
                # One trip to the thread pool for all: each trip costs more than a commit.
                if reads:
                    await in_thread(_commit_and_close, session)
                else:
                    await in_thread(_audit_commit_and_close, request, session, response)
            return response

        return run


# Connections the app leaves to others of the process (the embedded worker's units).
RESERVED_CONNECTIONS = 4


def connection_slots(pool: Pool) -> asyncio.Semaphore | None:
    """How many requests may hold a database connection at once: fewer than the pool has.
    Past that they wait on the event loop, holding nothing. Without the bound, requests in
    threads wait in the pool for connections held by requests whose commit waits for one
    of those threads, until the pool's timeout (30 s) fails them all."""
    if not isinstance(pool, QueuePool):
        return None  # a pool that never makes anyone wait
    capacity = pool.size() + pool._max_overflow
    return asyncio.Semaphore(max(1, capacity - RESERVED_CONNECTIONS))


def _committing(endpoint: Callable[..., T]) -> Callable[..., T]:
    """A sync endpoint that commits its writes in its own thread, as soon as it returns:
    on SQLite a writer holds the database's one write lock until it commits, and waiting for
    the event loop to serialize the answer and send the commit to another thread kept every
    other writer waiting as long again, far longer on a busy machine. An idempotent POST
    still stores its answer in the same transaction, so it commits later."""

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> T:
        result = endpoint(*args, **kwargs)
        request = _REQUEST.get(None)
        if request is not None and request.method not in _READS and request.state.may_finish:
            audit_trail.record(request, request.state.session, result)
            request.state.session.commit()
        return result

    return run


async def finish_in_thread(request: Request, work: Callable[[Session], T]) -> T:
    """For an async endpoint: `work` on the request's session in one trip to a thread, the
    commit included when nothing else is left to join the transaction (an idempotent POST
    still stores its answer in it). The endpoint must not touch the session afterwards."""
    session: Session = request.state.session
    finish = bool(request.state.may_finish)

    def run() -> T:
        result = work(session)
        if finish:
            if request.method not in _READS:
                audit_trail.record(request, session, result)
            _commit_and_close(session)
        return result

    result = await in_thread(run)
    request.state.finished = finish
    return result


async def answer_in_thread(request: Request, work: Callable[[Session], BaseModel]) -> Response:
    """`finish_in_thread` for an endpoint whose work returns its answer: the work, the JSON and
    the commit in one trip to a thread. Serialized there, once: returning the model would have
    FastAPI validate it again. The schema is still what the route's `response_model`
    documents (the API fuzz tests check every answer on it)."""

    def answer(session: Session) -> str:
        return work(session).model_dump_json()

    return Response(await finish_in_thread(request, answer), media_type="application/json")


async def answer_read(request: Request, work: Callable[[Session], BaseModel]) -> Response:
    """`answer_in_thread` for a GET that reads a few rows by index (the entitlements check,
    on every request of the merchant's product): answered on the event loop when the pool has
    an idle connection. Such a read is shorter than a trip's two thread switches, which were
    about a fifth of its CPU, and on a busy machine each switch can wait for a core. Without
    an idle connection the loop could wait for one, so the work goes to a thread as usual;
    so does anything but a read that may end the request."""
    pool = request.app.state.engine.pool
    idle = isinstance(pool, QueuePool) and pool.checkedin() > 0
    if not (idle and request.method in _READS and request.state.may_finish):
        return await answer_in_thread(request, work)
    session: Session = request.state.session
    body = work(session).model_dump_json()
    _commit_and_close(session)
    request.state.finished = True
    return Response(body, media_type="application/json")


def _authenticate(request: Request, reads: bool) -> None:
    resolve_tenant(request)
    if not reads and request.app.state.engine.dialect.name == "sqlite":
        # Authentication only read, but a writer's transaction holds SQLite's one write lock
        # from its first statement: it begins with the endpoint's work instead, not while
        # the request's body is still arriving.
        request.state.session.commit()


def _authorize(holder: KeyHolder, family: str | None, method: str) -> None:
    level = permissions.level_of(method)
    if scopes.allows(holder.scope, holder.permissions, family, level):
        return
    needed = scopes.missing(family, level)
    raise ProblemError(
        403,
        "permission-missing",
        "Permission missing",
        f"This API key ({holder.scope}) lacks the `{needed}` permission this request needs.",
    )


def _audit_commit_and_close(request: Request, session: Session, response: Response) -> None:
    try:
        audit_trail.record(request, session, response)
    except BaseException:
        _discard(session)
        raise
    _commit_and_close(session)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _discard(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _reject_unknown_query(request: Request, known: set[str]) -> None:
    """A misspelt filter (`?cdoe=x`) would otherwise be ignored and list everything."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ProblemError(
            422,
            "validation",
            "Invalid request",
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
            errors=[
                ProblemField(parameter=name, detail="is not a parameter of this operation")
                for name in unknown
            ],
        )


async def _idempotent(request: Request, handler: Handler, session: Session, key: str) -> Response:
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ProblemError(
            422,
            "validation",
            "Invalid request",
            "Idempotency-Key must be 1 to 255 characters.",
            errors=[ProblemField(header="Idempotency-Key", detail="must be 1 to 255 characters")],
        )
    tenant = await in_thread(resolve_tenant, request)
    # End the read transaction that authentication opened before the claim takes its own.
    await in_thread(session.commit)
    state = request.app.state
    fingerprint = idempotency.fingerprint(
        request.method, request.url.path, request.url.query, await request.body()
    )
    lease = timedelta(seconds=state.settings.idempotency_lease_seconds)
    claim = await in_thread(
        idempotency.claim,
        state.session_factory,
        tenant,
        key,
        fingerprint,
        state.clock.now(),
        timedelta(hours=state.settings.idempotency_ttl_hours),
        lease,
    )
    if claim.state is idempotency.ClaimState.REPLAY:
        return Response(
            content=claim.body,
            status_code=claim.status or 200,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    if claim.state is idempotency.ClaimState.MISMATCH:
        raise ProblemError(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "This Idempotency-Key was used with a different request; use a new key.",
            errors=[ProblemField(header="Idempotency-Key", detail="used with another body")],
        )
    if claim.state is idempotency.ClaimState.IN_PROGRESS:
        raise _in_use()
    assert claim.holder is not None
    holder = claim.holder
    renewing = asyncio.create_task(_keep_lease(request, tenant, key, holder, lease))
    try:
        try:
            response = await handler(request)
        finally:
            renewing.cancel()
        body = bytes(response.body).decode()

        def finish() -> None:
            audit_trail.record(request, session, body)
            idempotency.complete(session, tenant, key, holder, response.status_code, body)
            session.commit()

        await in_thread(finish)
    except idempotency.LeaseLost:
        # A retry took the key over while this request ran: its effects are rolled back.
        await in_thread(session.rollback)
        raise _in_use() from None
    except BaseException:
        await in_thread(session.rollback)
        await in_thread(idempotency.release, state.session_factory, tenant, key, holder)
        raise
    return response


def _in_use() -> ProblemError:
    return ProblemError(
        409,
        "idempotency-key-in-use",
        "Request in progress",
        "A request with this Idempotency-Key is still running; retry shortly.",
    )


async def _keep_lease(
    request: Request, tenant: Tenant, key: str, holder: str, lease: timedelta
) -> None:
    """Renew the request's claim a few times per lease while it runs. The renewal's thread
    is not waited for when the request ends: it may wait for the request's own write lock
    (SQLite), and finds the key no longer held once the answer is stored."""
    state = request.app.state
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(lease.total_seconds() / 3)
        renew = functools.partial(
            idempotency.renew, state.session_factory, tenant, key, holder, state.clock.now() + lease
        )
        try:
            if not await loop.run_in_executor(_THREADS, renew):
                return
        except Exception:
            # The database may be away a moment; the next turn tries again in time.
            log.warning("could not renew the claim on an Idempotency-Key", exc_info=True)
