"""API keys: made, listed and revoked by full keys (the `api_keys` family); read-only and
restricted keys with `api_keys:read` may list them. The secret is in the create answer only."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from recura.api.deps import ActorDep, ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute, answer_in_thread
from recura.domains.accounts import api_keys
from recura.domains.accounts.api_key_schemas import ApiKeyCreate, ApiKeyOut

router = APIRouter(
    prefix="/v1/api_keys",
    tags=["api_keys"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
ApiKeyList = list_schema(ApiKeyOut)


@router.post(
    "",
    status_code=201,
    response_model=ApiKeyOut,
    summary="Create an API key",
    description="A key of this mode (a test key makes test keys). `secret` is the key "
    "itself, shown in this answer only: Recura keeps just a keyed hash of it.",
)
def create_api_key(
    body: ApiKeyCreate,
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
    actor: ActorDep,
) -> ApiKeyOut:
    secret: bytes = request.app.state.secret
    issued = api_keys.issue(
        session, tenant.account_id, tenant.livemode, body, secret, clock.now(), actor.label
    )
    return api_keys.key_out(issued.key, issued.token)


@router.get("", response_model=ApiKeyList, summary="List API keys, newest first")
def list_api_keys(session: SessionDep, tenant: TenantDep, page: PageDep) -> BaseModel:
    found = api_keys.page(session, tenant, page.limit, page.starting_after)
    return ApiKeyList(data=[api_keys.key_out(k) for k in found.items], has_more=found.has_more)


@router.get("/{id}", response_model=ApiKeyOut, summary="Get an API key")
def get_api_key(id: str, session: SessionDep, tenant: TenantDep) -> ApiKeyOut:
    return api_keys.key_out(api_keys.get(session, tenant, id))


@router.post(
    "/{id}/revoke",
    response_model=ApiKeyOut,
    summary="Revoke an API key",
    description="This server refuses the key at once; other servers of the installation "
    "within `RECURA_API_KEY_CACHE_SECONDS` (a few seconds), as they may have it cached.",
)
async def revoke_api_key(id: str, request: Request, tenant: TenantDep, clock: ClockDep) -> Response:
    def revoke(session: Session) -> ApiKeyOut:
        key = api_keys.revoke(session, api_keys.get(session, tenant, id), clock.now())
        return api_keys.key_out(key)

    # Dropped before the commit too: the cache then refuses the key's return meanwhile.
    request.app.state.api_keys.drop_key(id)
    answer = await answer_in_thread(request, revoke)
    request.app.state.api_keys.drop_key(id)
    return answer
