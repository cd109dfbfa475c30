from __future__ import annotations

from fastapi import APIRouter, Request

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.common.errors import ConflictError
from recura.domains.customers import service as customers
from recura.domains.portal_sessions import service
from recura.domains.portal_sessions.schemas import PortalSessionCreate, PortalSessionOut
from recura.notifications import links

router = APIRouter(
    prefix="/v1/portal_sessions",
    tags=["portal sessions"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)


@router.post(
    "",
    status_code=201,
    response_model=PortalSessionOut,
    summary="Open the customer portal for a customer: a URL that signs them in, once",
)
def create_portal_session(
    body: PortalSessionCreate,
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
) -> PortalSessionOut:
    now = clock.now()
    customer = customers.get(session, tenant, body.customer)
    if customer.archived_at is not None:
        raise ConflictError(f"The customer '{customer.id}' is archived.")
    row = service.create_for_customer(session, tenant, customer, body.locale, body.return_url, now)
    token = links.sign(
        request.app.state.secret,
        "portal_session",
        tenant.account_id,
        tenant.livemode,
        customer.id,
        row.id,
        now,
    )
    base = request.app.state.settings.public_url.rstrip("/")
    return PortalSessionOut(
        id=row.id,
        customer=customer.id,
        url=f"{base}/portal/session/{token}",
        return_url=row.return_url,
        locale=row.locale,
        expires_at=row.link_expires_at,
        livemode=row.livemode,
        created_at=row.created_at,
    )
