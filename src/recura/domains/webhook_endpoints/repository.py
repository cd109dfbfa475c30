from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recura.db.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from recura.domains.common import lookup
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def find_by_key(session: Session, account_id: str, endpoint_id: str) -> WebhookEndpoint | None:
    """The account's endpoint with this id, in test or live data, if there is one."""
    return session.get(WebhookEndpoint, (account_id, endpoint_id))


def lock(session: Session, endpoint: WebhookEndpoint) -> None:
    """The endpoint's row, read again FOR UPDATE."""
    session.refresh(endpoint, with_for_update=True)


def lock_endpoints(session: Session, keys: Sequence[tuple[str, str]]) -> Sequence[WebhookEndpoint]:
    """The endpoints of (account id, endpoint id) `keys`, locked in the keys' order."""
    return lookup.locked_by_keys(session, WebhookEndpoint, keys)


def lock_deliveries(session: Session, keys: Sequence[tuple[str, str]]) -> Sequence[WebhookDelivery]:
    """The deliveries of (account id, delivery id) `keys`, locked in the keys' order."""
    return lookup.locked_by_keys(session, WebhookDelivery, keys)


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[WebhookEndpoint]:
    stmt = tenant.scope(select(WebhookEndpoint), WebhookEndpoint)
    return paginate(session, stmt, WebhookEndpoint, limit, starting_after)


def delete_deliveries(session: Session, tenant: Tenant, endpoint_id: str) -> None:
    """The endpoint's deliveries and their attempts."""
    owed = select(WebhookDelivery.id).where(
        WebhookDelivery.account_id == tenant.account_id,
        WebhookDelivery.endpoint_id == endpoint_id,
    )
    session.execute(
        delete(WebhookAttempt).where(
            WebhookAttempt.account_id == tenant.account_id,
            WebhookAttempt.delivery_id.in_(owed),
        )
    )
    session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.account_id == tenant.account_id,
            WebhookDelivery.endpoint_id == endpoint_id,
        )
    )


def deliveries_page(
    session: Session,
    tenant: Tenant,
    endpoint_id: str,
    limit: int,
    starting_after: str | None,
    status: str | None,
    event_id: str | None,
) -> Page[WebhookDelivery]:
    stmt = tenant.scope(select(WebhookDelivery), WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id
    )
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_id is not None:
        stmt = stmt.where(WebhookDelivery.event_id == event_id)
    return paginate(session, stmt, WebhookDelivery, limit, starting_after)


def attempts_of(
    session: Session, tenant: Tenant, delivery_ids: Collection[str]
) -> Sequence[WebhookAttempt]:
    """The deliveries' attempts, in order."""
    log = select(WebhookAttempt).where(
        WebhookAttempt.account_id == tenant.account_id, WebhookAttempt.delivery_id.in_(delivery_ids)
    )
    return session.scalars(log.order_by(WebhookAttempt.attempt, WebhookAttempt.id)).all()


def event_types(session: Session, tenant: Tenant, event_ids: Collection[str]) -> dict[str, str]:
    """Each event's type, by event id."""
    kinds = select(Event.id, Event.type).where(
        Event.account_id == tenant.account_id, Event.id.in_(event_ids)
    )
    return {event: kind for event, kind in session.execute(kinds)}


def requeue_failed(
    session: Session, tenant: Tenant, endpoint_id: str, since: datetime, now: datetime
) -> int:
    """The endpoint's deliveries failed since `since`, pending again now; how many."""
    stmt = (
        update(WebhookDelivery)
        .where(
            WebhookDelivery.account_id == tenant.account_id,
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == "failed",
            WebhookDelivery.created_at >= since,
        )
        .values(
            status="pending",
            next_attempt_at=now,
            replayed_after=WebhookDelivery.attempt_count,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    count: int = session.execute(stmt).rowcount  # type: ignore[attr-defined]
    return count


def lock_delivery(
    session: Session, tenant: Tenant, endpoint_id: str, event_id: str
) -> WebhookDelivery | None:
    """The endpoint's delivery of the event, FOR UPDATE."""
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.account_id == tenant.account_id,
        WebhookDelivery.endpoint_id == endpoint_id,
        WebhookDelivery.event_id == event_id,
    )
    return session.scalars(stmt.with_for_update()).first()


def lock_finished_deliveries(
    session: Session, statuses: Collection[str], before: datetime, limit: int
) -> list[tuple[str, str]]:
    """(account, id) of up to `limit` deliveries of every account in `statuses` last
    changed before `before`, FOR UPDATE SKIP LOCKED."""
    stmt = (
        select(WebhookDelivery.account_id, WebhookDelivery.id)
        .where(WebhookDelivery.status.in_(statuses), WebhookDelivery.updated_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(account_id, row_id) for account_id, row_id in session.execute(stmt)]


def delete_deliveries_by_key(session: Session, keys: list[tuple[str, str]]) -> None:
    """The deliveries whose (account, id) is among `keys`, and their attempts."""
    attempts = delete(WebhookAttempt).where(
        tuple_(WebhookAttempt.account_id, WebhookAttempt.delivery_id).in_(keys)
    )
    session.execute(attempts.execution_options(synchronize_session=False))
    deliveries = delete(WebhookDelivery).where(
        tuple_(WebhookDelivery.account_id, WebhookDelivery.id).in_(keys)
    )
    session.execute(deliveries.execution_options(synchronize_session=False))


def enabled_endpoints(session: Session, account_ids: Collection[str]) -> Sequence[WebhookEndpoint]:
    """The enabled endpoints of the accounts, in test and live data."""
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.account_id.in_(account_ids), WebhookEndpoint.status == "enabled"
    )
    return session.scalars(stmt).all()


def insert_new_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert deliveries, skipping those whose (account, endpoint, event) is taken."""
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(WebhookDelivery).on_conflict_do_nothing(
        index_elements=["account_id", "endpoint_id", "event_id"]
    )
    connection.execute(stmt, rows)


def due_endpoints(session: Session, now: datetime, limit: int) -> list[WebhookEndpoint]:
    """Up to `limit` enabled, unthrottled endpoints with deliveries due, in random order
    (when there are more, each batch serves another sample of them)."""
    # One due delivery of the endpoint, looked for endpoint by endpoint: written as EXISTS,
    # PostgreSQL joined it with every due delivery of every endpoint (400 ms a claim at
    # 400,000 due) to learn what the first one found tells.
    one_due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.account_id == WebhookEndpoint.account_id,
            WebhookDelivery.endpoint_id == WebhookEndpoint.id,
            WebhookDelivery.status.in_(("pending", "sending")),
            WebhookDelivery.next_attempt_at <= now,
        )
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.status == "enabled",
            or_(WebhookEndpoint.throttled_until.is_(None), WebhookEndpoint.throttled_until <= now),
            one_due.is_not(None),
        )
        .order_by(func.random())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def lock_due_deliveries(
    session: Session, endpoint: WebhookEndpoint, now: datetime, limit: int
) -> list[tuple[WebhookDelivery, Event]]:
    """Up to `limit` of the endpoint's deliveries due, each with its event, soonest first,
    FOR UPDATE SKIP LOCKED (the deliveries only)."""
    stmt = (
        select(WebhookDelivery, Event)
        .join(
            Event,
            (Event.account_id == WebhookDelivery.account_id)
            & (Event.id == WebhookDelivery.event_id),
        )
        .where(
            WebhookDelivery.account_id == endpoint.account_id,
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    return [(delivery, event) for delivery, event in session.execute(stmt)]
