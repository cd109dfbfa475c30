"""The request is the unit of work: one session, committed after the endpoint succeeds.

POSTs with an `Idempotency-Key` run at most once per key: a replay gets the stored response,
a different body with the same key gets 422, and a twin that arrives while the first is still
running gets 409.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.api.deps import resolve_tenant
from recura.api.problems import ProblemError, ProblemField
from recura.domains.idempotency import service as idempotency

Handler = Callable[[Request], Awaitable[Response]]
MAX_KEY_LENGTH = 255


class _Request(Request):
    """JSON bodies parsed by orjson: several times faster than the standard library on the
    API's largest bodies (batches of 1,000 usage events). It also refuses what RFC 8259
    does (NaN, Infinity, lone surrogates), as a JSON error like any other."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()
        known_query = _query_names(self.dependant)

        async def run(request: Request) -> Response:
            request = _Request(request.scope, request.receive)
            session: Session = request.app.state.session_factory()
            request.state.session = session
            try:
                # Who is asking comes before what they sent: no key is a 401, not a 422.
                await run_in_threadpool(resolve_tenant, request)
                _reject_unknown_query(request, known_query)
                key = request.headers.get("idempotency-key")
                if request.method == "POST" and key is not None:
                    response = await _idempotent(request, handler, session, key)
                    await run_in_threadpool(session.close)
                    return response
                response = await handler(request)
            except BaseException:
                await run_in_threadpool(_discard, session)
                raise
            # One trip to the thread pool for both: each trip costs more than a commit.
            await run_in_threadpool(_commit_and_close, session)
            return response

        return run


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
    tenant = await run_in_threadpool(resolve_tenant, request)
    # End the read transaction that authentication opened before the claim takes its own.
    await run_in_threadpool(session.commit)
    state = request.app.state
    fingerprint = idempotency.fingerprint(
        request.method, request.url.path, request.url.query, await request.body()
    )
    claim = await run_in_threadpool(
        idempotency.claim,
        state.session_factory,
        tenant,
        key,
        fingerprint,
        state.clock.now(),
        timedelta(hours=state.settings.idempotency_ttl_hours),
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
        raise ProblemError(
            409,
            "idempotency-key-in-use",
            "Request in progress",
            "A request with this Idempotency-Key is still running; retry shortly.",
        )
    try:
        response = await handler(request)
        body = bytes(response.body).decode()
        await run_in_threadpool(
            idempotency.complete, session, tenant, key, response.status_code, body
        )
        await run_in_threadpool(session.commit)
    except BaseException:
        await run_in_threadpool(session.rollback)
        await run_in_threadpool(idempotency.release, state.session_factory, tenant, key)
        raise
    return response
