from __future__ import annotations

from fastapi import APIRouter, Request, Response

from recura.api.deps import ClockDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute, answer_in_thread
from recura.domains.usage import service
from recura.domains.usage.schemas import UsageEventBatchOut, UsageEventsCreate

router = APIRouter(
    prefix="/v1/usage_events",
    tags=["usage events"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 409, 422),
)


@router.post(
    "",
    response_model=UsageEventBatchOut,
    summary="Send usage events (one, or a batch of up to 1,000)",
    description="Idempotent on `transaction_id`: an event already stored, or repeated in the "
    "request, is dropped and listed in `duplicates`, not an error. A batch with any invalid "
    "event stores nothing; the problem lists every invalid event with its pointer "
    "(`#/events/3/customer`).",
)
async def create_usage_events(
    body: UsageEventsCreate, request: Request, tenant: TenantDep, clock: ClockDep
) -> Response:
    now = clock.now()
    # Validated as FastAPI parsed it; the inserts, the receipt and the commit in one trip.
    return await answer_in_thread(
        request, lambda session: service.ingest(session, tenant, body, now)
    )
