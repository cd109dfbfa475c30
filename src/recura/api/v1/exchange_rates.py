from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.exchange_rates import repository, service
from recura.domains.exchange_rates.schemas import (
    CurrencyCode,
    Day,
    ExchangeRateCreate,
    ExchangeRateOut,
)

router = APIRouter(
    prefix="/v1/exchange_rates",
    tags=["metrics"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 422),
)
ExchangeRateList = list_schema(ExchangeRateOut)


@router.post(
    "",
    status_code=201,
    response_model=ExchangeRateOut,
    summary="Record a rate: 1 base = rate quote on a date (replaces that day's)",
)
def create_exchange_rate(
    body: ExchangeRateCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> ExchangeRateOut:
    return service.to_out(service.create(session, tenant, body, clock.now()))


@router.get(
    "",
    response_model=ExchangeRateList,
    summary="Rates, newest first; with date, base and quote: the rate in force that day",
    description=(
        "With `date`, `base` and `quote` the answer holds one rate: the latest published on "
        "or before the date (its inverse, or a cross rate through a common currency, when "
        "only those are stored; `source` is then `derived`)."
    ),
)
def list_exchange_rates(
    session: SessionDep,
    tenant: TenantDep,
    date: Annotated[Day | None, Query()] = None,
    base: Annotated[CurrencyCode | None, Query()] = None,
    quote: Annotated[CurrencyCode | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> BaseModel:
    if date is not None and base is not None and quote is not None:
        found = service.lookup(session, tenant, date, base, quote)
        return ExchangeRateList(data=[service.to_out(found)], has_more=False)
    rows = repository.listing(session, tenant, base, quote, date, limit + 1)
    return ExchangeRateList(
        data=[service.to_out(r) for r in rows[:limit]], has_more=len(rows) > limit
    )
