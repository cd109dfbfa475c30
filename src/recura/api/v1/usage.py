from __future__ import annotations

from fastapi import APIRouter

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.usage import service
from recura.domains.usage.schemas import CustomerUsageOut

router = APIRouter(
    prefix="/v1/customers",
    tags=["customers"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)


@router.get(
    "/{id}/usage",
    response_model=CustomerUsageOut,
    summary="A customer's metered usage in the current period, priced now",
)
def get_customer_usage(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CustomerUsageOut:
    return service.customer_usage(session, tenant, id, clock.now())
