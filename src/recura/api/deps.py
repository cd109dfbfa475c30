"""Request dependencies: the request's session, its units of work, the clock, the
authenticated tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from recura.api.problems import ProblemError
from recura.clock import Clock
from recura.db.unit_of_work import Units, units_on
from recura.domains.accounts import keys
from recura.domains.accounts import service as accounts
from recura.domains.accounts.api_keys import KeyHolder
from recura.domains.common.actor import Actor
from recura.domains.common.tenant import Tenant

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="`Authorization: Bearer rk_test_…` (test data) or `rk_live_…` (live data).",
)
# What an operation lists in OpenAPI when it is authenticated without TenantDep.
API_KEY_SECURITY: list[dict[str, list[str]]] = [{"ApiKey": []}]


# The dependencies only read what the route class already set up, so they are async: FastAPI
# runs a sync dependency in the thread pool, a hop that costs more than the work here.


async def get_session(request: Request) -> Session:
    session: Session = request.state.session
    return session


async def get_units(request: Request) -> Units:
    """For work that commits in steps (a charge, a test clock's advance): each step is a
    transaction of the request's session, committing what the request did before it, so no
    transaction of the request's stays open while a processor is asked."""
    return units_on(request.state.session)


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def recently_authenticated(request: Request) -> bool:
    """Whether the request's key was seen a moment ago (no query, so no thread needed);
    the request is then set up as `resolve_tenant` would set it up."""
    token = _bearer_token(request)
    if token is None:
        return False
    holder = request.app.state.api_keys.get(keys.keyed_hash(request.app.state.secret, token))
    if holder is None:
        return False
    _hold(request, holder)
    return True


def resolve_tenant(request: Request) -> Tenant:
    """Authenticate once per request; the idempotency layer and the endpoint share the result."""
    cached: Tenant | None = getattr(request.state, "tenant", None)
    if cached is not None:
        return cached
    token = _bearer_token(request)
    secret = request.app.state.secret
    holder = None
    if token is not None:
        holder = accounts.authenticate(request.state.session, token, secret)
    if token is not None and holder is not None:
        request.app.state.api_keys.put(keys.keyed_hash(secret, token), holder)
    else:
        raise ProblemError(
            401,
            "unauthorized",
            "Missing or invalid API key",
            "Send `Authorization: Bearer <API key>` with an active key.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    _hold(request, holder)
    return holder.tenant


def _hold(request: Request, holder: KeyHolder) -> None:
    request.state.tenant = holder.tenant
    request.state.api_key = holder
    # Whoever set the actor before (the console, for its user) keeps it.
    if getattr(request.state, "actor", None) is None:
        request.state.actor = holder.actor


def request_actor(request: Request) -> Actor:
    """Who the request acts for: the actor set on it, else its API key."""
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is not None:
        return actor
    holder: KeyHolder = request.state.api_key
    return holder.actor


async def current_tenant(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Tenant:
    # UnitOfWorkRoute authenticates (in the thread pool) before any dependency runs.
    tenant: Tenant = request.state.tenant
    return tenant


async def current_key(request: Request) -> KeyHolder:
    holder: KeyHolder = request.state.api_key
    return holder


async def current_actor(request: Request) -> Actor:
    return request_actor(request)


SessionDep = Annotated[Session, Depends(get_session)]
UnitsDep = Annotated[Units, Depends(get_units)]
ClockDep = Annotated[Clock, Depends(get_clock)]
TenantDep = Annotated[Tenant, Depends(current_tenant)]
KeyDep = Annotated[KeyHolder, Depends(current_key)]
ActorDep = Annotated[Actor, Depends(current_actor)]
