"""Disputes (chargebacks): the customer's bank takes a payment back until the merchant
proves it was owed. They are the processor's to decide; Recura records each stage as the
processor's webhooks report it, so the books and the events say what is at stake."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from recura.db.models import Dispute, Payment
from recura.domains.common import lookup
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.payments import repository
from recura.gateways.base import DISPUTE_STATUSES, GatewayEvent
from recura.ids import new_id

DisputeT = TypeVar("DisputeT", bound=payloads.DisputeData)

CLOSED = ("won", "lost")


def get(session: Session, tenant: Tenant, dispute_id: str) -> Dispute:
    return lookup.require(session, tenant, Dispute, dispute_id, "dispute")


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    payment: str | None,
    status: str | None = None,
) -> Page[Dispute]:
    return repository.disputes_page(session, tenant, limit, starting_after, payment, status)


def record(
    session: Session, tenant: Tenant, payment: Payment, event: GatewayEvent, now: datetime
) -> str:
    """Apply one dispute webhook; returns what it did ("applied", or why not).

    Keyed by the processor's id (unique per account and processor), so whichever of a
    dispute's events comes first makes it, and each of the others only moves it on.
    """
    assert event.dispute_reference is not None
    status = event.status if event.status in DISPUTE_STATUSES else "under_review"
    found = repository.lock_dispute(session, tenant, payment.gateway, event.dispute_reference)
    if found is None:
        amount = payment.amount
        if event.amount is not None and event.amount.currency == payment.currency:
            amount = event.amount.minor
        found = Dispute(
            id=new_id("dispute"),
            **tenant.row_keys(),
            payment_id=payment.id,
            gateway=payment.gateway,
            reference=event.dispute_reference,
            amount=amount,
            currency=payment.currency,
            status=status,
            reason=event.reason,
            status_changed_at=event.occurred_at,
            closed_at=None,
            funds_withdrawn_at=None,
            funds_reinstated_at=None,
            respond_by=event.respond_by,
            created_at=now,
            updated_at=now,
        )
        session.add(found)
        payment.amount_disputed += _held(found)
        payment.updated_at = now
        session.flush()
        events.record(session, tenant, summary(found, payloads.DisputeCreated), now)
        _funds(session, tenant, payment, found, event, now)
        if status in CLOSED:  # the first news of it is its end
            _close(session, tenant, payment, found, status, now)
        return "applied"
    funds = _funds(session, tenant, payment, found, event, now)
    if event.occurred_at < found.status_changed_at:
        return "applied" if funds else "stale"
    # A deadline first said, or moved, by news that is not older than what we have.
    moved = event.respond_by is not None and event.respond_by != found.respond_by
    if moved:
        found.respond_by = event.respond_by
        found.updated_at = now
    if found.status in CLOSED or found.status == status:
        return "applied" if funds or moved else "unchanged"
    found.status_changed_at = event.occurred_at
    found.reason = event.reason or found.reason
    if status in CLOSED:
        _close(session, tenant, payment, found, status, now)
    else:
        found.status = status
        found.updated_at = now
        events.record(session, tenant, summary(found, payloads.DisputeUpdated), now)
    return "applied"


def _held(dispute: Dispute) -> int:
    """What the dispute keeps from the merchant: its amount, until it is won or the
    processor puts the money back, whichever it says first."""
    if dispute.status == "won" or dispute.funds_reinstated_at is not None:
        return 0
    return dispute.amount


def _funds(
    session: Session,
    tenant: Tenant,
    payment: Payment,
    dispute: Dispute,
    event: GatewayEvent,
    now: datetime,
) -> bool:
    """Record the money's movement an event reports; says whether it was news."""
    if event.kind == "dispute.funds_withdrawn" and dispute.funds_withdrawn_at is None:
        dispute.funds_withdrawn_at = event.occurred_at
    elif event.kind == "dispute.funds_reinstated" and dispute.funds_reinstated_at is None:
        held = _held(dispute)
        dispute.funds_reinstated_at = event.occurred_at
        payment.amount_disputed -= held - _held(dispute)
        payment.updated_at = now
    else:
        return False
    dispute.updated_at = now
    events.record(session, tenant, summary(dispute, payloads.DisputeUpdated), now)
    return True


def _close(
    session: Session, tenant: Tenant, payment: Payment, dispute: Dispute, status: str, now: datetime
) -> None:
    held = _held(dispute)
    dispute.status = status
    dispute.closed_at = dispute.updated_at = now
    # A won dispute's money came back (unless the processor said so already); a lost one's
    # stays disputed: it is gone.
    payment.amount_disputed -= held - _held(dispute)
    payment.updated_at = now
    events.record(session, tenant, summary(dispute, payloads.DisputeClosed), now)


def summary(dispute: Dispute, kind: type[DisputeT]) -> DisputeT:
    return kind(
        id=dispute.id,
        payment=dispute.payment_id,
        gateway=dispute.gateway,
        reference=dispute.reference,
        amount=dispute.amount,
        currency=dispute.currency,
        status=dispute.status,
        reason=dispute.reason,
        funds_withdrawn_at=dispute.funds_withdrawn_at,
        funds_reinstated_at=dispute.funds_reinstated_at,
    )
