"""What the merchant spends to acquire customers, per month, channel and currency; as
JSON (`/v1/acquisition_spend`), or as a CSV file in and out (`/v1/acquisition_spend_csv`;
the format is in domains/acquisition/spend_csv.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute, in_thread
from recura.domains.acquisition import spend, spend_csv
from recura.domains.acquisition.schemas import (
    MONTH_PATTERN,
    AcquisitionSpendCreate,
    AcquisitionSpendOut,
    SpendImportOut,
    first_day,
)
from recura.domains.common.errors import invalid
from recura.domains.common.fields import example

router = APIRouter(
    prefix="/v1/acquisition_spend",
    tags=["acquisition"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
# The CSV file in and out, apart from `/{id}`, which would otherwise take `export` for an id.
csv_router = APIRouter(
    prefix="/v1/acquisition_spend_csv",
    tags=["acquisition"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 422),
)
SpendList = list_schema(AcquisitionSpendOut)
Id = Annotated[str, Path(max_length=64)]
MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM.")]
ChannelQuery = Annotated[str | None, Query(max_length=40)]


class DeletedSpend(BaseModel):
    model_config = example(
        {"object": "acquisition_spend", "id": "acqs_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "deleted": True}
    )

    object: Literal["acquisition_spend"] = "acquisition_spend"
    id: str
    deleted: Literal[True] = True


@router.post(
    "",
    status_code=201,
    response_model=AcquisitionSpendOut,
    summary="Record a month's spend on a channel",
    description="One amount per month, channel and currency: 201 when new; sent again, it "
    "replaces the amount and note (200). Amounts of different currencies are kept apart, "
    "never converted.",
    responses={200: {"description": "An amount stored before was replaced."}},
)
def record_spend(
    body: AcquisitionSpendCreate,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
    response: Response,
) -> AcquisitionSpendOut:
    found, created = spend.record(session, tenant, body, clock.now())
    if not created:
        response.status_code = 200
    return spend.to_out(found)


@router.get("", response_model=SpendList, summary="List spend, newest recorded first")
def list_spend(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    month_from: MonthQuery = None,
    month_to: MonthQuery = None,
    channel: ChannelQuery = None,
) -> BaseModel:
    found = spend.page(
        session, tenant, page.limit, page.starting_after, month_from, month_to, channel
    )
    return SpendList(data=[spend.to_out(s) for s in found.items], has_more=found.has_more)


@csv_router.get(
    "",
    summary="The spend as a CSV file (month, channel, currency, amount, note)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_spend(
    session: SessionDep,
    tenant: TenantDep,
    month_from: MonthQuery = None,
    month_to: MonthQuery = None,
    channel: ChannelQuery = None,
) -> Response:
    text = spend_csv.export_text(
        session,
        tenant,
        first_day(month_from) if month_from else None,
        first_day(month_to) if month_to else None,
        channel,
    )
    headers = {"Content-Disposition": 'attachment; filename="acquisition_spend.csv"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@csv_router.post(
    "",
    response_model=SpendImportOut,
    summary="Import spend from a CSV file, all or nothing",
    description="The body is the file (`Content-Type: text/csv`): a header naming month, "
    "channel, currency, amount (in the currency's units: 1500.50) and optionally note. A "
    "file with any bad line stores nothing; each problem's pointer is "
    "`/lines/{line}/{column}`.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_spend(
    request: Request, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> BaseModel:
    data = await request.body()  # at most the API's body limit (api/body_limit.py)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("", "the file must be UTF-8 text") from None
    done: SpendImportOut = await in_thread(
        spend_csv.import_text, session, tenant, text, clock.now()
    )
    return done


@router.delete("/{id}", response_model=DeletedSpend, summary="Delete a month's spend")
def delete_spend(id: Id, session: SessionDep, tenant: TenantDep) -> BaseModel:
    spend.delete(session, tenant, id)
    return DeletedSpend(id=id)
