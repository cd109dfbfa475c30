from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute, in_thread
from recura.domains.accounts import bank_accounts
from recura.domains.accounts.schemas import BankAccountCreate, BankAccountOut
from recura.domains.common.fields import example
from recura.domains.payments import bank
from recura.domains.payments.schemas import (
    BankStatementImportOut,
    BankStatementOut,
    BankTransactionOut,
    ManualMatch,
    SkippedStatementOut,
)

router = APIRouter(
    tags=["payments"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
TransactionList = list_schema(BankTransactionOut)
BankAccountList = list_schema(BankAccountOut)
Status = Literal["matched", "partial", "overpaid", "unmatched", "ignored", "reversed", "reversal"]


class DeletedBankAccount(BaseModel):
    model_config = example(
        {"object": "bank_account", "id": "bac_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "deleted": True}
    )

    object: Literal["bank_account"] = "bank_account"
    id: str
    deleted: Literal[True] = True


@router.post(
    "/v1/bank_accounts",
    status_code=201,
    response_model=BankAccountOut,
    summary="Register one of the merchant's bank accounts",
    description="Statements are imported for the registered accounts only, matched by IBAN "
    "or the bank's own number (spaces and case aside) and, if given, the currency; with "
    "none registered, every statement of a file is imported.",
)
def create_bank_account(
    body: BankAccountCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> BankAccountOut:
    row = bank_accounts.create(session, tenant, body, clock.now())
    return BankAccountOut.model_validate(row, from_attributes=True)


@router.get("/v1/bank_accounts", response_model=BankAccountList, summary="Bank accounts")
def list_bank_accounts(session: SessionDep, tenant: TenantDep, page: PageDep) -> BaseModel:
    found = bank_accounts.page(session, tenant, page.limit, page.starting_after)
    data = [BankAccountOut.model_validate(r, from_attributes=True) for r in found.items]
    return BankAccountList(data=data, has_more=found.has_more)


@router.delete(
    "/v1/bank_accounts/{id}",
    response_model=DeletedBankAccount,
    summary="Stop importing statements of a bank account",
)
def delete_bank_account(id: str, session: SessionDep, tenant: TenantDep) -> BaseModel:
    return DeletedBankAccount(id=bank_accounts.delete(session, tenant, id).id)


@router.post(
    "/v1/bank_statements",
    status_code=201,
    response_model=BankStatementImportOut,
    summary="Import a camt.053 statement: incoming transfers pay the invoices they quote",
    description="The body is the statement file itself (`Content-Type: application/xml`). "
    "Transfers are matched by the invoice's payment reference and their amount; a returned "
    "transfer reopens what it paid; a statement imported before changes nothing. Statements "
    "of accounts not registered under /v1/bank_accounts are listed in `skipped`.",
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
    # SQLite has one writer: a long statement commits as it goes (see `import_statements`).
    sqlite = session.get_bind().dialect.name == "sqlite"
    checkpoint = session.commit if sqlite else None
    done = await in_thread(bank.import_statements, session, tenant, data, clock.now(), checkpoint)
    skipped = [
        SkippedStatementOut(
            statement_id=s.statement_id,
            account_number=s.account,
            currency=s.currency,
            entry_count=len(s.entries),
        )
        for s in done.skipped
    ]
    data_out = [BankStatementOut.of(r) for r in done.statements]
    return BankStatementImportOut(data=data_out, skipped=skipped)


@router.get(
    "/v1/bank_transactions",
    response_model=TransactionList,
    summary="Statement entries, newest first; `status=unmatched` lists those to match by hand",
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
