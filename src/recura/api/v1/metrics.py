"""Revenue metrics read from the worker's rollups: MRR and its movements over time, and
the customers behind each movement; JSON, or CSV with `Accept: text/csv` or
`?format=csv`."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from recura.api.deps import SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.db.models.metric_rollup_daily import ALL
from recura.domains.common.errors import invalid
from recura.domains.exchange_rates.schemas import CurrencyCode, Day
from recura.domains.metrics import reads
from recura.domains.metrics.reads import Granularity
from recura.domains.metrics.repository import TYPES, Segment

router = APIRouter(
    prefix="/v1/metrics",
    tags=["metrics"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 422),
)

Country = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$", description="Customers' country")]
Channel = Annotated[
    str | None,
    Query(pattern=r"^[a-z0-9][a-z0-9_]{0,39}$", description="Customers' acquisition channel"),
]
PlanFilter = Annotated[
    str | None,
    Query(max_length=40, description="Only the subscriptions of this plan (docs/metrics.md)"),
]
ProductFilter = Annotated[
    str | None,
    Query(max_length=40, description="Only the subscriptions of this product's plans"),
]
Format = Annotated[Literal["json", "csv"] | None, Query(description="csv: a CSV file")]


def _segment(
    session: SessionDep,
    tenant: TenantDep,
    country: Country = None,
    channel: Channel = None,
    plan: PlanFilter = None,
    product: ProductFilter = None,
) -> Segment:
    if plan is not None and product is not None:
        raise invalid("/product", "filter by a plan or by a product, not both")
    if plan is not None and not reads.plan_exists(session, tenant, plan):
        raise invalid("/plan", f"no plan {plan}")
    if product is not None and not reads.product_exists(session, tenant, product):
        raise invalid("/product", f"no product {product}")
    return Segment(country, channel, plan or product or ALL)


# The customers (country, channel) and subscriptions (plan, product) a metric counts.
SegmentDep = Annotated[Segment, Depends(_segment)]
MovementType = Literal["new", "expansion", "contraction", "churn", "reactivation"]


MOVEMENTS: dict[str, Any] = {
    "new": 9000,
    "expansion": 0,
    "contraction": 0,
    "churn": 0,
    "reactivation": 0,
}
COUNTS: dict[str, Any] = {"new": 2, "expansion": 0, "contraction": 0, "churn": 0, "reactivation": 0}
POINT: dict[str, Any] = {
    "start": "2026-01-01",
    "end": "2026-01-31",
    "currency": "RON",
    "mrr": 9000,
    "movements": MOVEMENTS,
    "customers": COUNTS,
}
MOVEMENT: dict[str, Any] = {
    "day": "2026-02-10",
    "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "currency": "RON",
    "type": "expansion",
    "amount": 3000,
}


class Movements(BaseModel):
    """Per movement type: the amount (minor units) or the number of customers."""

    model_config = ConfigDict(json_schema_extra={"examples": [MOVEMENTS]})

    new: int
    expansion: int
    contraction: int
    churn: int
    reactivation: int


class MrrPoint(BaseModel):
    """One period in one currency: MRR at its last day, and the movements within it."""

    model_config = ConfigDict(json_schema_extra={"examples": [POINT]})

    start: date
    end: date
    currency: str
    mrr: int
    movements: Movements
    customers: Movements


class MrrSeries(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"object": "list", "granularity": "month", "data": [POINT]}]
        }
    )

    object: str = "list"
    granularity: Granularity
    data: list[MrrPoint]


class MrrMovementOut(BaseModel):
    """A customer's net MRR movement of one day in one currency."""

    model_config = ConfigDict(json_schema_extra={"examples": [MOVEMENT]})

    day: date
    customer: str
    currency: str
    type: str
    amount: int


class MrrMovementList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"object": "list", "data": [MOVEMENT]}]}
    )

    object: str = "list"
    data: list[MrrMovementOut]


def wants_csv(request: Request, format_: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    return "text/csv" in request.headers.get("accept", "")


def csv_response(header: list[str], rows: list[list[object]], name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


CSV_RESPONSE = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


@router.get(
    "/mrr",
    response_model=MrrSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="MRR and its movements per day, week or month",
    description=(
        "Amounts in minor units. Each currency apart, or all converted to `currency` "
        "(`convert=true`) at the rate in force on each period's last day. Read from the "
        "daily rollups the worker keeps (docs/metrics.md)."
    ),
)
def get_mrr(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    segment: SegmentDep,
    start: Annotated[Day, Query()],
    end: Annotated[Day, Query()],
    granularity: Annotated[Granularity, Query()] = Granularity.MONTH,
    currency: Annotated[CurrencyCode | None, Query()] = None,
    convert: Annotated[bool, Query(description="Convert every currency to `currency`")] = False,
    format: Format = None,
) -> Response | MrrSeries:
    reporting = currency if convert else None
    only = None if convert else currency
    points = reads.mrr(session, tenant, start, end, granularity, only, reporting, segment)
    if wants_csv(request, format):
        header = ["start", "end", "currency", "mrr", *TYPES, *(f"{t}_customers" for t in TYPES)]
        rows: list[list[object]] = [
            [p.start, p.end, p.currency, p.mrr]
            + [p.amounts[t] for t in TYPES]
            + [p.customers[t] for t in TYPES]
            for p in points
        ]
        return csv_response(header, rows, "mrr")
    return MrrSeries(
        granularity=granularity,
        data=[
            MrrPoint(
                start=p.start,
                end=p.end,
                currency=p.currency,
                mrr=p.mrr,
                movements=Movements(**p.amounts),
                customers=Movements(**p.customers),
            )
            for p in points
        ],
    )


@router.get(
    "/mrr_movements",
    response_model=MrrMovementList,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="The customers behind the MRR movements of a date range",
)
def list_mrr_movements(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    segment: SegmentDep,
    start: Annotated[Day, Query()],
    end: Annotated[Day, Query()],
    currency: Annotated[CurrencyCode | None, Query()] = None,
    type: Annotated[MovementType | None, Query()] = None,
    format: Format = None,
) -> Response | MrrMovementList:
    found = reads.movements(session, tenant, start, end, currency, type, segment)
    if wants_csv(request, format):
        rows: list[list[object]] = [
            [m.day, m.customer, m.currency, m.type, m.amount] for m in found
        ]
        return csv_response(
            ["day", "customer", "currency", "type", "amount"], rows, "mrr_movements"
        )
    return MrrMovementList(
        data=[
            MrrMovementOut(
                day=m.day, customer=m.customer, currency=m.currency, type=m.type, amount=m.amount
            )
            for m in found
        ]
    )


STATUSES: dict[str, Any] = {"active": 12, "past_due": 1, "trialing": 3, "canceled": 4}


class SubscribersByStatus(BaseModel):
    """Subscriptions counted per status (statuses with none are left out)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"object": "subscribers_by_status", "currency": "RON", "data": STATUSES}]
        }
    )

    object: str = "subscribers_by_status"
    currency: str | None
    data: dict[str, int]


@router.get(
    "/subscribers",
    response_model=SubscribersByStatus,
    summary="Subscriptions counted per status, of one currency or all",
)
def subscribers_by_status(
    session: SessionDep,
    tenant: TenantDep,
    segment: SegmentDep,
    currency: Annotated[CurrencyCode | None, Query()] = None,
) -> SubscribersByStatus:
    counts = reads.subscribers_by_status(session, tenant, currency, segment)
    return SubscribersByStatus(currency=currency, data=counts)
