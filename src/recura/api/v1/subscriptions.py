from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.db.models import Subscription
from recura.domains.cancellations import service as cancellations
from recura.domains.common.fields import example
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import views as invoice_views
from recura.domains.invoices.schemas import TOTALS_EXAMPLE, InvoicePreviewOut
from recura.domains.subscriptions import actions, changes, service
from recura.domains.subscriptions.schemas import (
    CancelRequest,
    ChangeRequest,
    EmptyRequest,
    PauseRequest,
    SubscriptionCreate,
    SubscriptionOut,
)

router = APIRouter(
    prefix="/v1/subscriptions",
    tags=["subscriptions"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
SubscriptionList = list_schema(SubscriptionOut)
Status = Literal[
    "incomplete",
    "trialing",
    "active",
    "past_due",
    "unpaid",
    "paused",
    "canceled",
    "incomplete_expired",
]


def _one(session: Session, tenant: Tenant, sub: Subscription) -> SubscriptionOut:
    return service.subscriptions_out(session, tenant, [sub])[0]


@router.post("", status_code=201, response_model=SubscriptionOut, summary="Start a subscription")
def create_subscription(
    body: SubscriptionCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> SubscriptionOut:
    return _one(session, tenant, service.create(session, tenant, body, clock.now()))


@router.get("", response_model=SubscriptionList, summary="List subscriptions, newest first")
def list_subscriptions(
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    customer: Annotated[str | None, Query(max_length=40)] = None,
    status: Status | None = None,
) -> BaseModel:
    found = service.page(
        session, tenant, page.limit, page.starting_after, customer=customer, status=status
    )
    data = service.subscriptions_out(session, tenant, found.items)
    return SubscriptionList(data=data, has_more=found.has_more)


@router.get("/{id}", response_model=SubscriptionOut, summary="Get a subscription")
def get_subscription(id: str, session: SessionDep, tenant: TenantDep) -> SubscriptionOut:
    return _one(session, tenant, service.get(session, tenant, id))


@router.post(
    "/{id}/cancel",
    response_model=SubscriptionOut,
    summary="Cancel now (optionally crediting unused time) or at period end",
)
def cancel_subscription(
    id: str, body: CancelRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> SubscriptionOut:
    when = {"at_period_end": body.at_period_end, "prorate": body.prorate}
    if body.reason is None and body.reason_text is None:
        sub = actions.cancel(session, tenant, id, clock.now(), **when)
    else:
        sub = cancellations.cancel(
            session,
            tenant,
            id,
            clock.now(),
            customer_id=None,
            reason=body.reason,
            reason_text=body.reason_text,
            **when,
        ).subscription
    return _one(session, tenant, sub)


@router.post(
    "/{id}/reactivate",
    response_model=SubscriptionOut,
    summary="Undo a cancellation scheduled for period end",
)
def reactivate_subscription(
    id: str, body: EmptyRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> SubscriptionOut:
    return _one(session, tenant, actions.reactivate(session, tenant, id, clock.now()))


@router.post(
    "/{id}/pause",
    response_model=SubscriptionOut,
    summary="Pause billing (usage so far billed, unused time credited)",
)
def pause_subscription(
    id: str, body: PauseRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> SubscriptionOut:
    sub = actions.pause(session, tenant, id, clock.now(), body.resume_at)
    return _one(session, tenant, sub)


@router.post(
    "/{id}/resume",
    response_model=SubscriptionOut,
    summary="Resume a paused subscription in a new period starting now",
)
def resume_subscription(
    id: str, body: EmptyRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> SubscriptionOut:
    return _one(session, tenant, actions.resume(session, tenant, id, clock.now()))


@router.post(
    "/{id}/change",
    response_model=SubscriptionOut,
    summary="Change plan, seats, add-ons or discount, now (prorated) or at period end",
)
def change_subscription(
    id: str, body: ChangeRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> SubscriptionOut:
    return _one(session, tenant, changes.change(session, tenant, id, body, clock.now()))


class ChangePreviewOut(BaseModel):
    model_config = example(
        {
            "object": "change_preview",
            "effective": "now",
            "effective_at": "2026-02-14T12:00:00Z",
            "invoice": {"object": "invoice_preview", **TOTALS_EXAMPLE},
        }
    )

    object: Literal["change_preview"] = "change_preview"
    effective: Literal["now", "period_end"]
    effective_at: datetime
    invoice: InvoicePreviewOut | None


@router.post(
    "/{id}/preview_change",
    response_model=ChangePreviewOut,
    summary="What a change would invoice, computed exactly as applying it; nothing is saved",
)
def preview_change(
    id: str, body: ChangeRequest, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> ChangePreviewOut:
    planned, draft = changes.preview_change(session, tenant, id, body, clock.now())
    return ChangePreviewOut(
        effective=planned.effective,
        effective_at=planned.effective_at,
        invoice=None if draft is None else invoice_views.preview_out(draft),
    )
