from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import ProblemError, problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.db.models import Customer
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service, vat_checks
from recura.domains.customers.schemas import CustomerCreate, CustomerOut, CustomerUpdate
from recura.gateways.vies import Unavailable

router = APIRouter(
    prefix="/v1/customers",
    tags=["customers"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
CustomerList = list_schema(CustomerOut)


@router.post("", status_code=201, response_model=CustomerOut, summary="Create a customer")
def create_customer(
    body: CustomerCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CustomerOut:
    return service.to_out(service.create(session, tenant, body, clock.now()))


@router.get("", response_model=CustomerList, summary="List customers, newest first")
def list_customers(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    email: Annotated[str | None, Query(max_length=320)] = None,
    external_id: Annotated[str | None, Query(max_length=255)] = None,
    archived: bool | None = None,
) -> BaseModel:
    result = service.page(
        session,
        tenant,
        limit=page.limit,
        starting_after=page.starting_after,
        email=email,
        external_id=external_id,
        archived=archived,
    )
    checks = service.latest_checks(session, tenant, result.items)
    return CustomerList(
        data=[service.to_out(c, checks.get(c.id)) for c in result.items],
        has_more=result.has_more,
    )


@router.get("/{id}", response_model=CustomerOut, summary="Get a customer")
def get_customer(id: str, session: SessionDep, tenant: TenantDep) -> CustomerOut:
    return _shown(session, tenant, service.get(session, tenant, id))


@router.patch("/{id}", response_model=CustomerOut, summary="Change a customer")
def update_customer(
    id: str, body: CustomerUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CustomerOut:
    return _shown(session, tenant, service.update(session, tenant, id, body, clock.now()))


@router.post(
    "/{id}/vat_check",
    response_model=CustomerOut,
    summary="Check the customer's EU VAT number with VIES now",
    description=(
        "Asks VIES now, with the account's own VAT number as the requester, and answers "
        "with the customer and the check's result in `vat_check` (its consultation number "
        "the proof). When VIES cannot answer, the check is recorded as pending (VAT is "
        "charged until a later check confirms the number) and the answer is 503 (VIES or a "
        "member state busy or down) or 502 (no usable answer)."
    ),
    responses=problem_responses(502, 503),
)
def check_vat_id(id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep) -> CustomerOut:
    due = vat_checks.due_now(session, tenant, service.get(session, tenant, id))
    # VIES is asked with no transaction open: nothing is held while it answers.
    session.commit()
    outcome = vat_checks.ask(due)
    vat_checks.record(session, due, outcome, clock.now())
    if isinstance(outcome, Unavailable):
        session.commit()  # the pending check stays recorded
        raise ProblemError(
            503 if outcome.code in vat_checks.BUSY else 502,
            "vies-unavailable",
            "VIES could not answer",
            vat_checks.unavailable_detail(outcome),
        )
    return _shown(session, tenant, service.get(session, tenant, id))


def _shown(session: Session, tenant: Tenant, customer: Customer) -> CustomerOut:
    checks = service.latest_checks(session, tenant, [customer])
    return service.to_out(customer, checks.get(customer.id))


@router.post("/{id}/archive", response_model=CustomerOut, summary="Archive a customer")
def archive_customer(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CustomerOut:
    return service.to_out(service.archive(session, tenant, id, clock.now()))
