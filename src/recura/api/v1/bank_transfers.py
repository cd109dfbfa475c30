from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute, in_thread
from recura.domains.payments import bank
from recura.domains.payments.schemas import BankStatementOut, BankTransactionOut, ManualMatch

router = APIRouter(
    tags=["payments"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
StatementList = list_schema(BankStatementOut)
TransactionList = list_schema(BankTransactionOut)
Status = Literal["matched", "partial", "overpaid", "unmatched", "ignored"]


@router.post(
    "/v1/bank_statements",
    status_code=201,
    response_model=StatementList,
    summary="Import a camt.053 statement: incoming transfers pay the invoices they quote",
    description="The body is the statement file itself (`Content-Type: application/xml`). "
    "Transfers are matched by the invoice's payment reference and their amount; a statement "
    "imported before changes nothing.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_statement(
    request: Request, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> BaseModel:
    data = await request.body()
    rows = await in_thread(bank.import_statements, session, tenant, data, clock.now())
    return StatementList(data=[BankStatementOut.of(r) for r in rows], has_more=False)


@router.get(
    "/v1/bank_transactions",
    response_model=TransactionList,
    summary="Incoming transfers, newest first; `status=unmatched` lists those to match by hand",
)
def list_transactions(
    session: SessionDep, tenant: TenantDep, page: PageDep, status: Status | None = None
) -> BaseModel:
    found = bank.transactions(session, tenant, page.limit, page.starting_after, status)
    data = [BankTransactionOut.of(t) for t in found.items]
    return TransactionList(data=data, has_more=found.has_more)


@router.post(
    "/v1/bank_transactions/{id}/match",
    response_model=BankTransactionOut,
    summary="Match an unmatched transfer to an open invoice by hand",
)
def match(
    id: str, body: ManualMatch, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> BankTransactionOut:
    return BankTransactionOut.of(bank.match_by_hand(session, tenant, id, body.invoice, clock.now()))
