"""Onboarding guides: the steps (`/v1/onboarding_steps`), and each customer's progress
through theirs (`/v1/customers/{id}/onboarding`), which the merchant's product advances."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.onboarding import guide, service
from recura.domains.onboarding.schemas import (
    CompletionOut,
    OnboardingOut,
    OnboardingStepCreate,
    OnboardingStepOut,
    OnboardingStepUpdate,
)

router = APIRouter(
    prefix="/v1/onboarding_steps",
    tags=["onboarding"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
customer_router = APIRouter(
    prefix="/v1/customers",
    tags=["onboarding"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
OnboardingStepList = list_schema(OnboardingStepOut)
Id = Annotated[str, Path(max_length=64)]


@router.post("", status_code=201, response_model=OnboardingStepOut, summary="Add a step")
def create_step(
    body: OnboardingStepCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> OnboardingStepOut:
    return service.to_out(service.create(session, tenant, body, clock.now()))


@router.get("", response_model=OnboardingStepList, summary="List steps, newest first")
def list_steps(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    product: Annotated[str | None, Query(max_length=40)] = None,
    plan: Annotated[str | None, Query(max_length=40)] = None,
) -> BaseModel:
    found = service.page(session, tenant, page.limit, page.starting_after, product, plan)
    return OnboardingStepList(
        data=[service.to_out(s) for s in found.items], has_more=found.has_more
    )


@router.get("/{id}", response_model=OnboardingStepOut, summary="Get a step")
def get_step(id: Id, session: SessionDep, tenant: TenantDep) -> OnboardingStepOut:
    return service.to_out(service.get(session, tenant, id))


@router.patch("/{id}", response_model=OnboardingStepOut, summary="Reword, relink or reorder a step")
def update_step(
    id: Id, body: OnboardingStepUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> OnboardingStepOut:
    return service.to_out(service.update(session, tenant, id, body, clock.now()))


@router.post("/{id}/archive", response_model=OnboardingStepOut, summary="Archive a step")
def archive_step(
    id: Id, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> OnboardingStepOut:
    return service.to_out(service.archive(session, tenant, id, clock.now()))


@customer_router.post(
    "/{id}/onboarding_steps/{step}/complete",
    response_model=CompletionOut,
    summary="Mark an onboarding step done for a customer",
    description="`step` is the step's id or code. Done already: the first completion, "
    "unchanged. Records `onboarding_step.completed` the first time.",
)
def complete_step(
    id: Id, step: Id, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> CompletionOut:
    done = guide.complete(session, tenant, id, step, "merchant", clock.now())
    return guide.completion_out(done, service.get(session, tenant, done.step_id).code)


@customer_router.get(
    "/{id}/onboarding",
    response_model=OnboardingOut,
    summary="A customer's getting-started guide and progress",
    description="The steps of the customer's subscriptions that have not ended (or of "
    "`subscription`), in the customer's language, each done or not.",
)
def get_onboarding(
    id: Id,
    session: SessionDep,
    tenant: TenantDep,
    subscription: Annotated[str | None, Query(max_length=40)] = None,
) -> OnboardingOut:
    return guide.to_out(guide.guide(session, tenant, id, subscription_id=subscription))
