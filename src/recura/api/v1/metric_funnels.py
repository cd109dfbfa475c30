"""Metrics around the revenue per day, week or month: trial conversion, checkout
conversion, dunning recovery, voluntary and involuntary churn, cancel reasons with
retention-offer acceptance, and support first-response time (docs/metrics.md). Ratios
are numbers rounded to 6 decimals (`null`: not defined). JSON, or CSV with
`?format=csv`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from recura.api.deps import SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.api.v1.metric_ratios import Currency, number
from recura.api.v1.metrics import (
    CSV_RESPONSE,
    Format,
    PlanFilter,
    ProductFilter,
    csv_response,
    wants_csv,
)
from recura.core.funnels import CHECKOUT_STAGES
from recura.core.metrics import ChurnKind
from recura.domains.exchange_rates.schemas import Day
from recura.domains.funnels import reads
from recura.domains.metrics import ratios
from recura.domains.metrics.reads import Granularity

router = APIRouter(
    prefix="/v1/metrics",
    tags=["metrics"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 422),
)

Start = Annotated[Day, Query()]
End = Annotated[Day, Query()]
GranularityQ = Annotated[Granularity, Query()]


@dataclass(frozen=True, slots=True)
class Period:
    """The periods asked for (`start`, `end`, `granularity`), checked and cut."""

    window: reads.Window
    granularity: Granularity


def _period(
    session: SessionDep,
    tenant: TenantDep,
    start: Start,
    end: End,
    granularity: GranularityQ = Granularity.MONTH,
) -> Period:
    return Period(reads.window(session, tenant, start, end, granularity), granularity)


def _plans(
    session: SessionDep, tenant: TenantDep, plan: PlanFilter = None, product: ProductFilter = None
) -> set[str] | None:
    return reads.plans_for(session, tenant, plan, product)


PeriodDep = Annotated[Period, Depends(_period)]
# The plans a `plan` or `product` filter keeps; None: every plan.
PlansDep = Annotated[set[str] | None, Depends(_plans)]


TRIALS: dict[str, Any] = {
    "start": "2026-01-01",
    "end": "2026-01-31",
    "ended": 4,
    "converted": 3,
    "conversion": 0.75,
}


class FunnelSeries(BaseModel):
    """One row per period; the fields of each endpoint's rows are in its description."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"object": "list", "granularity": "month", "data": [TRIALS]}]
        }
    )

    object: str = "list"
    granularity: Granularity
    data: list[dict[str, Any]]


def _answer(
    request: Request,
    format_: str | None,
    granularity: Granularity,
    rows: list[dict[str, Any]],
    name: str,
) -> Response | FunnelSeries:
    if wants_csv(request, format_):
        header = list(rows[0]) if rows else ["start", "end"]
        return csv_response(header, [[r[h] for h in header] for r in rows], name)
    return FunnelSeries(granularity=granularity, data=rows)


@router.get(
    "/trials",
    response_model=FunnelSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="Trial conversion: trials that ended paid ÷ trials that ended, per period",
)
def get_trials(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    period: PeriodDep,
    plans: PlansDep,
    format: Format = None,
) -> Response | FunnelSeries:
    w, granularity = period.window, period.granularity
    rows = [
        {
            "start": a,
            "end": b,
            "ended": t.ended,
            "converted": t.converted,
            "conversion": number(t.conversion),
        }
        for a, b, t in reads.trials(session, tenant, w, plans)
    ]
    return _answer(request, format, granularity, rows, "trials")


@router.get(
    "/checkout",
    response_model=FunnelSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="Checkout conversion: sessions made per period, each stage reached, completed",
)
def get_checkout(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    period: PeriodDep,
    plans: PlansDep,
    format: Format = None,
) -> Response | FunnelSeries:
    w, granularity = period.window, period.granularity
    rows = [
        {
            "start": a,
            "end": b,
            "created": f.created,
            **{s: f.reached[s] for s in CHECKOUT_STAGES},
            "completed": f.completed,
            "conversion": number(f.conversion),
        }
        for a, b, f in reads.checkout(session, tenant, w, plans)
    ]
    return _answer(request, format, granularity, rows, "checkout")


@router.get(
    "/dunning",
    response_model=FunnelSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="Dunning recovery: subscriptions whose payment failed in a period, and recovered",
)
def get_dunning(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    period: PeriodDep,
    plans: PlansDep,
    format: Format = None,
) -> Response | FunnelSeries:
    w, granularity = period.window, period.granularity
    rows = [
        {
            "start": a,
            "end": b,
            "entered": d.entered,
            "recovered": d.recovered,
            "recovery_rate": number(d.recovery_rate),
        }
        for a, b, d in reads.dunning(session, tenant, w, plans)
    ]
    return _answer(request, format, granularity, rows, "dunning")


@router.get(
    "/churn_kinds",
    response_model=FunnelSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="Voluntary and involuntary churn: subscriptions that stopped paying, and MRR lost",
)
def get_churn_kinds(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    period: PeriodDep,
    plans: PlansDep,
    currency: Currency = None,
    format: Format = None,
) -> Response | FunnelSeries:
    code = currency or ratios.account_metrics(session, tenant).reporting_currency
    w, granularity = period.window, period.granularity
    rows = []
    for a, b, k in reads.churn_kinds(session, tenant, w, code, plans):
        row: dict[str, Any] = {"start": a, "end": b, "currency": code}
        for kind in ChurnKind:
            row[kind.value] = k.subscriptions[kind]
            row[f"{kind.value}_mrr"] = k.mrr[kind]
        rows.append(row)
    return _answer(request, format, granularity, rows, "churn_kinds")


@router.get(
    "/cancellations",
    response_model=FunnelSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="Cancel reasons and retention-offer acceptance per period",
)
def get_cancellations(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    period: PeriodDep,
    format: Format = None,
) -> Response | FunnelSeries:
    w, granularity = period.window, period.granularity
    found = reads.cancellations(session, tenant, w)
    csv = wants_csv(request, format)
    codes = sorted({r for _, _, o in found for r in o.reasons})
    rows = []
    for a, b, o in found:
        row: dict[str, Any] = {
            "start": a,
            "end": b,
            "flows": o.flows,
            "canceled": o.canceled,
            "offered": o.offered,
            "accepted": o.accepted,
            "declined": o.declined,
            "acceptance": number(o.acceptance),
        }
        if csv:
            row.update({f"reason_{c}": o.reasons.get(c, 0) for c in codes})
        else:
            row["reasons"] = dict(o.reasons)
        rows.append(row)
    return _answer(request, format, granularity, rows, "cancellations")


@router.get(
    "/support",
    response_model=FunnelSeries,
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
    summary="Support first-response time (seconds) of the requests opened per period",
)
def get_support(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    period: PeriodDep,
    format: Format = None,
) -> Response | FunnelSeries:
    w, granularity = period.window, period.granularity
    rows = [
        {
            "start": a,
            "end": b,
            "requests": t.requests,
            "answered": t.answered,
            "mean_seconds": t.mean,
            "median_seconds": t.median,
            "p90_seconds": t.p90,
        }
        for a, b, t in reads.support(session, tenant, w)
    ]
    return _answer(request, format, granularity, rows, "support")
