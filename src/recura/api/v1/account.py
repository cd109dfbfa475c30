from __future__ import annotations

from fastapi import APIRouter

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.accounts import service
from recura.domains.accounts.schemas import AccountOut, AccountUpdate

router = APIRouter(
    prefix="/v1/account",
    tags=["account"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 422),
)


@router.get("", response_model=AccountOut, summary="The account the API key belongs to")
def get_account(session: SessionDep, tenant: TenantDep) -> AccountOut:
    return service.account_out(service.get_account(session, tenant.account_id), tenant)


@router.patch("", response_model=AccountOut, summary="Change the account's settings")
def update_account(
    body: AccountUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> AccountOut:
    return service.account_out(service.update_account(session, tenant, body, clock.now()), tenant)
