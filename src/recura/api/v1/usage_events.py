from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from recura.api.deps import ClockDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute, finish_in_thread
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

    def answer(session: Session) -> str:
        return service.ingest(session, tenant, body, now).model_dump_json()

    # The inserts and the commit in one trip to a thread, and the receipt serialized once
    # (returning the model would have FastAPI validate it again), as `response_model` says.
    return Response(await finish_in_thread(request, answer), media_type="application/json")
