"""Revenue ratios read from the rollups: churn and retention, ARPA and LTV, CAC with
payback and LTV:CAC, and cohort retention. Ratios are numbers rounded to 6 decimals
(`null`: not defined, docs/metrics.md); amounts are minor units of `currency` (the
account's reporting currency unless given). JSON, or CSV with `?format=csv`."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.api.v1.metrics import (
    CSV_RESPONSE,
    Format,
    SegmentDep,
    csv_response,
    wants_csv,
)
from recura.core import metrics
from recura.core.metrics import MOVEMENT_TYPES
from recura.core.money import Money, round_fraction
from recura.db.models.metric_rollup_daily import ALL
from recura.domains.common.errors import invalid
from recura.domains.exchange_rates.schemas import CurrencyCode, Day
from recura.domains.metrics import ratios
from recura.domains.metrics.reads import Granularity
from recura.domains.metrics.repository import Segment

router = APIRouter(
    prefix="/v1/metrics",
    tags=["metrics"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 422),
)

Currency = Annotated[
    CurrencyCode | None, Query(description="Default: the account's reporting currency")
]
Convert = Annotated[
    bool,
    Query(
        description="Every currency combined in `currency`, at the rates in force on each "
        "period's last day (docs/metrics.md)"
    ),
]


def number(value: Fraction | None, places: int = 6) -> float | None:
    """An exact ratio rounded once, half away from zero (the project's rule)."""
    if value is None:
        return None
    scaled = round_fraction(value * 10**places)
    return float(Fraction(scaled, 10**places))


def minor(value: Money | None) -> int | None:
    return None if value is None else value.minor


def _currency(session: Any, tenant: Any, given: str | None) -> str:
    return given or ratios.account_metrics(session, tenant).reporting_currency


# ------------------------------------------------------------------------------- churn

CHURN: dict[str, Any] = {
    "start": "2026-03-01",
    "end": "2026-03-31",
    "currency": "RON",
    "opening_mrr": 12000,
    "closing_mrr": 9000,
    "customers_at_start": 4,
    "customers_at_end": 3,
    "new_customers": 0,
    "churned_customers": 1,
    "movements": {"new": 0, "expansion": 0, "contraction": 0, "churn": -3000, "reactivation": 0},
    "logo_churn_rate": 0.25,
    "gross_revenue_churn": 0.25,
    "net_revenue_churn": 0.25,
    "nrr": 0.75,
    "grr": 0.75,
}


class ChurnPoint(BaseModel):
    """One period: each customer's movements netted over it (docs/metrics.md)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CHURN]})

    start: date
    end: date
    currency: str
    opening_mrr: int
    closing_mrr: int
    customers_at_start: int
    customers_at_end: int
    new_customers: int
    churned_customers: int
    movements: dict[str, int] = Field(description="Netted movement amounts per type")
    logo_churn_rate: float | None
    gross_revenue_churn: float | None
    net_revenue_churn: float | None
    nrr: float | None
    grr: float | None


class ChurnSeries(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"object": "list", "granularity": "month", "data": [CHURN]}]
        }
    )

    object: str = "list"
    granularity: Granularity
    data: list[ChurnPoint]


@router.get(
    "/churn",
    response_model=ChurnSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="Logo churn, gross and net revenue churn, NRR and GRR per period",
)
def get_churn(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    segment: SegmentDep,
    start: Annotated[Day, Query()],
    end: Annotated[Day, Query()],
    granularity: Annotated[Granularity, Query()] = Granularity.MONTH,
    currency: Currency = None,
    convert: Convert = False,
    format: Format = None,
) -> Response | ChurnSeries:
    code = _currency(session, tenant, currency)
    points = ratios.flows(session, tenant, start, end, granularity, code, segment, convert=convert)
    data = [
        ChurnPoint(
            start=p.start,
            end=p.end,
            currency=code,
            opening_mrr=p.flow.opening.minor,
            closing_mrr=p.closing.minor,
            customers_at_start=p.flow.customers_at_start,
            customers_at_end=p.customers_at_end,
            new_customers=p.flow.new_customers,
            churned_customers=p.flow.churned_customers,
            movements={t.value: p.flow.amounts.get(t, 0) for t in MOVEMENT_TYPES},
            logo_churn_rate=number(metrics.logo_churn_rate(p.flow)),
            gross_revenue_churn=number(metrics.gross_revenue_churn(p.flow)),
            net_revenue_churn=number(metrics.net_revenue_churn(p.flow)),
            nrr=number(metrics.nrr(p.flow)),
            grr=number(metrics.grr(p.flow)),
        )
        for p in points
    ]
    if wants_csv(request, format):
        names = [n for n in ChurnPoint.model_fields if n != "movements"]
        header = [*names, *MOVEMENT_TYPES]
        rows: list[list[object]] = [
            [getattr(d, n) for n in names] + [d.movements[t] for t in MOVEMENT_TYPES] for d in data
        ]
        return csv_response([str(h) for h in header], rows, "churn")
    return ChurnSeries(granularity=granularity, data=data)


# --------------------------------------------------------------------------- LTV and CAC


CHANNEL: dict[str, Any] = {
    "channel": "google_ads",
    "spend": 6000,
    "acquired": 4,
    "cac": 1500,
    "payback_months": 0.5,
    "ltv_to_cac": 8.0,
}
UNIT: dict[str, Any] = {
    "start": "2026-02-01",
    "end": "2026-02-28",
    "currency": "RON",
    "mrr": 9000,
    "customers": 3,
    "arpa": 3000,
    "logo_churn_rate": 0.25,
    "gross_margin": 1.0,
    "ltv": 12000,
    "spend": 6000,
    "acquired": 4,
    "cac": 1500,
    "payback_months": 0.5,
    "ltv_to_cac": 8.0,
    "channels": [CHANNEL],
}


class ChannelOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [CHANNEL]})

    channel: str
    spend: int
    acquired: int
    cac: int | None
    payback_months: float | None
    ltv_to_cac: float | None


class UnitEconomicsPoint(BaseModel):
    """One month: ARPA = MRR ÷ paying customers at its end; LTV = ARPA * gross margin ÷
    the month's logo churn rate; CAC = spend ÷ customers acquired (new business)."""

    model_config = ConfigDict(json_schema_extra={"examples": [UNIT]})

    start: date
    end: date
    currency: str
    mrr: int
    customers: int
    arpa: int | None
    logo_churn_rate: float | None
    gross_margin: float
    ltv: int | None
    spend: int
    acquired: int
    cac: int | None
    payback_months: float | None
    ltv_to_cac: float | None
    channels: list[ChannelOut]


class UnitEconomicsSeries(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"object": "list", "granularity": "month", "data": [UNIT]}]}
    )

    object: str = "list"
    granularity: Granularity = Granularity.MONTH
    data: list[UnitEconomicsPoint]


def _unit_economics(
    session: Any,
    tenant: Any,
    start: date,
    end: date,
    granularity: Granularity,
    currency: str | None,
    segment: Segment,
    convert: bool,
) -> list[UnitEconomicsPoint]:
    if granularity is not Granularity.MONTH:
        raise invalid("/granularity", "LTV and CAC are monthly: use granularity=month")
    if segment.scope != ALL:
        # Spend is entered per channel: no plan's share of it is known.
        raise invalid("/plan", "LTV and CAC are not kept per plan or product")
    code = _currency(session, tenant, currency)
    found = ratios.unit_economics(session, tenant, start, end, code, segment, convert)
    return [
        UnitEconomicsPoint(
            start=u.start,
            end=u.end,
            currency=code,
            mrr=u.mrr.minor,
            customers=u.customers,
            arpa=minor(u.arpa),
            logo_churn_rate=number(u.logo_churn_rate),
            gross_margin=float(u.gross_margin),
            ltv=minor(u.ltv),
            spend=u.spend.minor,
            acquired=u.acquired,
            cac=minor(u.cac),
            payback_months=number(u.payback_months, 2),
            ltv_to_cac=number(u.ltv_to_cac, 2),
            channels=[
                ChannelOut(
                    channel=c.channel,
                    spend=c.spend.minor,
                    acquired=c.acquired,
                    cac=minor(c.cac),
                    payback_months=number(c.payback_months, 2),
                    ltv_to_cac=number(c.ltv_to_cac, 2),
                )
                for c in u.channels
            ],
        )
        for u in found
    ]


@router.get(
    "/ltv",
    response_model=UnitEconomicsSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="ARPA, LTV, CAC, payback months and LTV:CAC per month",
)
def get_ltv(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    segment: SegmentDep,
    start: Annotated[Day, Query()],
    end: Annotated[Day, Query()],
    granularity: Annotated[Granularity, Query()] = Granularity.MONTH,
    currency: Currency = None,
    convert: Convert = False,
    format: Format = None,
) -> Response | UnitEconomicsSeries:
    data = _unit_economics(session, tenant, start, end, granularity, currency, segment, convert)
    if wants_csv(request, format):
        names = [n for n in UnitEconomicsPoint.model_fields if n != "channels"]
        rows: list[list[object]] = [[getattr(d, n) for n in names] for d in data]
        return csv_response(names, rows, "ltv")
    return UnitEconomicsSeries(data=data)


@router.get(
    "/cac",
    response_model=UnitEconomicsSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="CAC per acquisition channel and month, with payback months and LTV:CAC",
)
def get_cac(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    segment: SegmentDep,
    start: Annotated[Day, Query()],
    end: Annotated[Day, Query()],
    granularity: Annotated[Granularity, Query()] = Granularity.MONTH,
    currency: Currency = None,
    convert: Convert = False,
    format: Format = None,
) -> Response | UnitEconomicsSeries:
    data = _unit_economics(session, tenant, start, end, granularity, currency, segment, convert)
    if wants_csv(request, format):
        names = list(ChannelOut.model_fields)
        rows: list[list[object]] = []
        for d in data:
            rows.append(
                [
                    d.start,
                    d.end,
                    d.currency,
                    "all",
                    d.spend,
                    d.acquired,
                    d.cac,
                    d.payback_months,
                    d.ltv_to_cac,
                ]
            )
            rows.extend(
                [d.start, d.end, d.currency, *(getattr(c, n) for n in names)] for c in d.channels
            )
        return csv_response(["start", "end", "currency", *names], rows, "cac")
    return UnitEconomicsSeries(data=data)


# ------------------------------------------------------------------------------- cohorts


COHORT: dict[str, Any] = {
    "month": "2026-01",
    "size": 4,
    "customers": [4, 3, 3],
    "revenue": [12000, 9000, 9000],
}


class CohortOut(BaseModel):
    """Customers who first paid in `month`: how many still pay k months later (k = 0 is
    the signup month) and their MRR at each month's end; months not over yet are left
    out (the current one as it stands)."""

    model_config = ConfigDict(json_schema_extra={"examples": [COHORT]})

    month: str = Field(examples=["2026-01"])
    size: int
    customers: list[int]
    revenue: list[int]


class CohortTable(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "object": "cohorts",
                    "currency": "RON",
                    "months": 3,
                    "data": [COHORT],
                    "customers": [4, 3, 3],
                    "revenue": [12000, 9000, 9000],
                }
            ]
        }
    )

    object: str = "cohorts"
    currency: str
    months: int
    data: list[CohortOut]
    customers: list[int] = Field(description="Each column summed over the cohorts")
    revenue: list[int] = Field(description="Each column summed over the cohorts")


@router.get(
    "/cohorts",
    response_model=CohortTable,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="Logo and revenue retention by signup month (24 months)",
)
def get_cohorts(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    segment: SegmentDep,
    clock: ClockDep,
    start: Annotated[Day, Query(description="First signup month (any day of it)")],
    end: Annotated[Day, Query(description="Last signup month (any day of it)")],
    until: Annotated[
        Day | None,
        Query(
            description="Known up to this day; default: today, or the end of the last "
            "signup month's 24th month if sooner"
        ),
    ] = None,
    currency: Currency = None,
    convert: Convert = False,
    format: Format = None,
) -> Response | CohortTable:
    code = _currency(session, tenant, currency)
    today = clock.now().date()
    last = until or min(today, _month_end(end, 23))
    found = ratios.cohorts(session, tenant, start, end, last, code, segment, convert)
    width = max((r.months for r in found), default=0)
    data = [
        CohortOut(
            month=r.cohort.month.strftime("%Y-%m"),
            size=r.cohort.size,
            customers=list(r.cohort.customers[: r.months]),
            revenue=list(r.cohort.revenue[: r.months]),
        )
        for r in found
    ]
    customers = [sum(d.customers[k] for d in data if k < len(d.customers)) for k in range(width)]
    revenue = [sum(d.revenue[k] for d in data if k < len(d.revenue)) for k in range(width)]
    if wants_csv(request, format):
        header = ["month", "size"]
        header += [f"customers_{k}" for k in range(width)]
        header += [f"revenue_{k}" for k in range(width)]
        rows: list[list[object]] = [
            [d.month, d.size, *_padded(d.customers, width), *_padded(d.revenue, width)]
            for d in data
        ]
        return csv_response(header, rows, "cohorts")
    return CohortTable(currency=code, months=width, data=data, customers=customers, revenue=revenue)


def _padded(values: list[int], width: int) -> list[object]:
    return [*values, *([""] * (width - len(values)))]


def _month_end(day: date, months_after: int) -> date:
    index = day.year * 12 + day.month - 1 + months_after + 1
    first_after = date(index // 12, index % 12 + 1, 1)
    return date.fromordinal(first_after.toordinal() - 1)
