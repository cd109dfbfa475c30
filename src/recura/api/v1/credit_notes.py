from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.invoices import credit_notes
from recura.domains.invoices.schemas import CreditNoteCreate, CreditNoteOut

router = APIRouter(
    prefix="/v1/credit_notes",
    tags=["invoices"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
CreditNoteList = list_schema(CreditNoteOut)


@router.post(
    "",
    status_code=201,
    response_model=CreditNoteOut,
    summary="Credit an open or paid invoice, in full or in part",
)
def create_credit_note(
    body: CreditNoteCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CreditNoteOut:
    return credit_notes.to_out(credit_notes.create(session, tenant, body, clock.now()))


@router.get("", response_model=CreditNoteList, summary="List credit notes, newest first")
def list_credit_notes(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    invoice: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    found = credit_notes.page(session, tenant, page.limit, page.starting_after, invoice)
    return CreditNoteList(
        data=[credit_notes.to_out(n) for n in found.items], has_more=found.has_more
    )


@router.get("/{id}", response_model=CreditNoteOut, summary="Get a credit note")
def get_credit_note(id: str, session: SessionDep, tenant: TenantDep) -> CreditNoteOut:
    return credit_notes.to_out(credit_notes.get(session, tenant, id))
