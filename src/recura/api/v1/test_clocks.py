from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep, UnitsDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.test_clocks import service
from recura.domains.test_clocks.schemas import TestClockAdvance, TestClockCreate, TestClockOut

router = APIRouter(
    prefix="/v1/test_clocks",
    tags=["test clocks"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
TestClockList = list_schema(TestClockOut)


@router.post("", status_code=201, response_model=TestClockOut, summary="Create a test clock")
def create_test_clock(
    body: TestClockCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> TestClockOut:
    return service.to_out(service.create(session, tenant, body, clock.now()))


@router.get("", response_model=TestClockList, summary="List test clocks, newest first")
def list_test_clocks(session: SessionDep, tenant: TenantDep, page: PageDep) -> BaseModel:
    found = service.page(session, tenant, page.limit, page.starting_after)
    return TestClockList(data=[service.to_out(c) for c in found.items], has_more=found.has_more)


@router.get("/{id}", response_model=TestClockOut, summary="Get a test clock")
def get_test_clock(id: str, session: SessionDep, tenant: TenantDep) -> TestClockOut:
    return service.to_out(service.get(session, tenant, id))


@router.post(
    "/{id}/advance",
    response_model=TestClockOut,
    summary="Move the clock forward, running every renewal, trial end and change due on the way",
    description="The clock is `advancing` while the due work runs, in many short steps; "
    "another advance of the same clock meanwhile gets 409. If a step fails, the clock is "
    "`ready` again at the time it had reached, and can be advanced from there.",
)
def advance_test_clock(
    id: str, body: TestClockAdvance, units: UnitsDep, tenant: TenantDep, clock: ClockDep
) -> TestClockOut:
    return service.to_out(service.advance(units, tenant, id, body.frozen_time, clock))
