from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from recura.api.deps import SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.balances import service as balances
from recura.domains.balances.schemas import BalanceEntryOut, BalanceOut
from recura.domains.common.fields import money_out
from recura.domains.customers import service as customers

customer_router = APIRouter(
    prefix="/v1/customers",
    tags=["customers"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 422),
)
BalanceEntryList = list_schema(BalanceEntryOut)


@customer_router.get(
    "/{id}/balance",
    response_model=BalanceOut,
    summary="The customer's credit balance, per currency",
    description="One amount per currency the customer has had credit in (0 once spent).",
)
def get_balance(id: str, session: SessionDep, tenant: TenantDep) -> BalanceOut:
    customers.get(session, tenant, id)
    found = balances.available(session, tenant, id)
    return BalanceOut(customer=id, available=[money_out(a, c) for c, a in found.items()])


@customer_router.get(
    "/{id}/balance_entries",
    response_model=BalanceEntryList,
    summary="The ledger of the customer's balance, newest first",
)
def list_balance_entries(
    id: str, session: SessionDep, tenant: TenantDep, page: PageDep
) -> BaseModel:
    customers.get(session, tenant, id)
    found = balances.entries(session, tenant, id, page.limit, page.starting_after)
    data = [BalanceEntryOut.of(e) for e in found.items]
    return BalanceEntryList(data=data, has_more=found.has_more)
