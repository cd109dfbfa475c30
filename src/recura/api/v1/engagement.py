"""Engagement: the merchant's product reports customers' activity
(`POST /v1/customers/{id}/activity`), and reads who is active, what they use, and who is
at risk of leaving (`/v1/engagement/...`)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, Path, Query

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.core.engagement import DEFAULT_DROP, Granularity
from recura.domains.engagement import activity, service
from recura.domains.engagement.schemas import (
    ActiveCustomersOut,
    ActivityCreate,
    ActivityOut,
    AtRiskListOut,
    FeaturesOut,
)

router = APIRouter(
    prefix="/v1/engagement",
    tags=["engagement"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 422),
)
customer_router = APIRouter(
    prefix="/v1/customers",
    tags=["engagement"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
Id = Annotated[str, Path(max_length=64)]
From = Annotated[date | None, Query(alias="from", description="First day (UTC).")]
To = Annotated[date | None, Query(description="Last day (UTC), included; default today.")]


@customer_router.post(
    "/{id}/activity",
    response_model=ActivityOut,
    summary="Report that the customer used the product",
    description="Call it as often as the product likes: the customer is active on the day "
    "(UTC) once, and the day's row for the feature counts the calls. Usage events count "
    "as activity too, under their code.",
)
def report_activity(
    id: Id,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
    body: ActivityCreate | None = None,
) -> ActivityOut:
    # No body is a ping with no feature, now: the cheapest call a product can make.
    return activity.ping(session, tenant, id, body or ActivityCreate(), clock.now())


@router.get(
    "/active_customers",
    response_model=ActiveCustomersOut,
    response_model_by_alias=True,
    summary="Active customers per day, week or month, with DAU, WAU, MAU and stickiness",
)
def active_customers(
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
    granularity: Granularity = "day",
    from_: From = None,
    to: To = None,
) -> ActiveCustomersOut:
    return service.active_customers(session, tenant, granularity, from_, to, clock.now())


@router.get(
    "/features",
    response_model=FeaturesOut,
    response_model_by_alias=True,
    summary="Usage per feature over a range of days, and onboarding completion",
)
def features(
    session: SessionDep, tenant: TenantDep, clock: ClockDep, from_: From = None, to: To = None
) -> FeaturesOut:
    return service.features(session, tenant, from_, to, clock.now())


@router.get(
    "/at_risk",
    response_model=AtRiskListOut,
    summary="Customers at risk of leaving, each with its reasons",
    description="A scheduled cancellation, open invoices past due or with a failed "
    "payment, or active days in the last 14 days fallen below (1 - `drop`) times the "
    "rate of the 28 days before. The highest score first.",
)
def at_risk(
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
    drop: Annotated[
        float,
        Query(ge=0.01, le=1, description="How far activity must fall to count (0.5: by half)."),
    ] = float(DEFAULT_DROP),
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> AtRiskListOut:
    fall = Fraction(str(drop)).limit_denominator(1000)
    return service.at_risk(session, tenant, clock.now(), fall, limit)
