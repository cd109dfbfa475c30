"""Webhook endpoints: saved with a signing secret shown once, rotated with an overlap,
and the deliveries owed to them listed and replayed. Sending is the worker's
(`recura.notifications.webhooks_out`)."""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura.db.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from recura.domains.audit import changes as audit
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, NotFoundError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.webhook_endpoints import repository, targets
from recura.domains.webhook_endpoints.schemas import (
    AttemptOut,
    DeliveryOut,
    Replay,
    WebhookEndpointCreate,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)
from recura.ids import new_id

SECRET_BYTES = 32
DISABLED_BY_MERCHANT = "Disabled through the API."
# What an audit entry shows of an endpoint's change (the secrets only as changed).
AUDITED = ("url", "description", "enabled_events", "batch_size", "status", "secret")


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def matches(filters: Sequence[str], event_type: str) -> bool:
    for item in filters:
        if item == "*" or item == event_type:
            return True
        if item.endswith(".*") and event_type.startswith(item[:-1]):
            return True
    return False


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets to sign with: the current one, and the previous one while it overlaps."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret is not None and expires is not None and now < expires:
        found.append(endpoint.previous_secret)
    return found


def get(session: Session, tenant: Tenant, endpoint_id: str) -> WebhookEndpoint:
    return lookup.require(session, tenant, WebhookEndpoint, endpoint_id, "webhook endpoint")


def mode_of(session: Session, account_id: str, endpoint_id: str) -> Tenant:
    """The tenant (test or live data) an endpoint of the account belongs to, for pages that
    name it by id alone."""
    found = repository.find_by_key(session, account_id, endpoint_id)
    if found is None:
        raise NotFoundError("webhook endpoint", endpoint_id)
    return Tenant(found.account_id, found.livemode)


def create(
    session: Session,
    tenant: Tenant,
    data: WebhookEndpointCreate,
    now: datetime,
    allow_private: bool,
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        id=new_id("webhook_endpoint"),
        **tenant.row_keys(),
        url=targets.check_url(data.url, tenant.livemode, allow_private),
        description=data.description,
        enabled_events=data.enabled_events,
        batch_size=data.batch_size,
        status="enabled",
        disabled_reason=None,
        secret=new_secret(),
        previous_secret=None,
        previous_secret_expires_at=None,
        throttled_until=None,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    audit.note(session, {}, audit.snapshot(endpoint, AUDITED))
    return endpoint


def update_endpoint(
    session: Session,
    tenant: Tenant,
    endpoint_id: str,
    data: WebhookEndpointUpdate,
    now: datetime,
    allow_private: bool,
) -> WebhookEndpoint:
    endpoint = get(session, tenant, endpoint_id)
    before = audit.snapshot(endpoint, AUDITED)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        endpoint.url = targets.check_url(changes["url"], tenant.livemode, allow_private)
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("enabled_events") is not None:
        endpoint.enabled_events = changes["enabled_events"]
    if changes.get("batch_size") is not None:
        endpoint.batch_size = changes["batch_size"]
    if changes.get("enabled") is True:
        endpoint.status, endpoint.disabled_reason = "enabled", None
        endpoint.throttled_until = None
    elif changes.get("enabled") is False and endpoint.status == "enabled":
        endpoint.status, endpoint.disabled_reason = "disabled", DISABLED_BY_MERCHANT
    endpoint.updated_at = now
    session.flush()
    audit.note(session, before, audit.snapshot(endpoint, AUDITED))
    return endpoint


def delete_endpoint(session: Session, tenant: Tenant, endpoint_id: str) -> WebhookEndpoint:
    """The endpoint, its deliveries and their log: nothing more is sent to it."""
    endpoint = get(session, tenant, endpoint_id)
    # Locked first, as the worker locks it before recording an attempt: none is added
    # to a delivery about to go.
    repository.lock(session, endpoint)
    repository.delete_deliveries(session, tenant, endpoint.id)
    audit.note(session, audit.snapshot(endpoint, AUDITED), {})
    session.delete(endpoint)
    session.flush()
    return endpoint


def rotate_secret(
    session: Session, tenant: Tenant, endpoint_id: str, overlap_hours: int, now: datetime
) -> WebhookEndpoint:
    endpoint = get(session, tenant, endpoint_id)
    before = audit.snapshot(endpoint, AUDITED)
    if overlap_hours > 0:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + timedelta(hours=overlap_hours)
    else:
        endpoint.previous_secret = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    session.flush()
    audit.note(session, before, audit.snapshot(endpoint, AUDITED))
    return endpoint


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[WebhookEndpoint]:
    return repository.page(session, tenant, limit, starting_after)


def deliveries(
    session: Session,
    tenant: Tenant,
    endpoint_id: str,
    limit: int,
    starting_after: str | None,
    status: str | None = None,
    event_id: str | None = None,
) -> Page[DeliveryOut]:
    """The endpoint's deliveries, newest first, each with its attempts in order."""
    endpoint = get(session, tenant, endpoint_id)
    found = repository.deliveries_page(
        session, tenant, endpoint.id, limit, starting_after, status, event_id
    )
    ids = [d.id for d in found.items]
    attempts: dict[str, list[WebhookAttempt]] = defaultdict(list)
    types: dict[str, str] = {}
    if ids:
        for attempt in repository.attempts_of(session, tenant, ids):
            attempts[attempt.delivery_id].append(attempt)
        types = repository.event_types(session, tenant, {d.event_id for d in found.items})
    items = [_delivery_out(d, types.get(d.event_id, ""), attempts[d.id]) for d in found.items]
    return Page(items=items, has_more=found.has_more)


def replay(session: Session, tenant: Tenant, endpoint_id: str, body: Replay, now: datetime) -> int:
    """Queue deliveries to be sent again now, under their event's id (so a receiver that
    already has one ignores it); returns how many."""
    endpoint = get(session, tenant, endpoint_id)
    if endpoint.status != "enabled":
        raise ConflictError(
            f"Webhook endpoint '{endpoint.id}' is disabled; enable it before replaying."
        )
    if body.event is not None:
        event = lookup.find(session, tenant, Event, body.event)
        if event is None:
            raise invalid("/event", f"no event with id '{body.event}'")
        return _replay_event(session, tenant, endpoint, event, now)
    assert body.failed_since is not None
    return repository.requeue_failed(session, tenant, endpoint.id, body.failed_since, now)


def _replay_event(
    session: Session, tenant: Tenant, endpoint: WebhookEndpoint, event: Event, now: datetime
) -> int:
    delivery = repository.lock_delivery(session, tenant, endpoint.id, event.id)
    if delivery is None:
        # An event from before the endpoint existed, or one its filter left out: asked for
        # by name, it is sent all the same.
        session.add(new_delivery(tenant, endpoint.id, event.id, now))
        session.flush()
        return 1
    if delivery.status == "sending":
        raise ConflictError(f"Event '{event.id}' is being sent to this endpoint right now.")
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.replayed_after = delivery.attempt_count
    delivery.updated_at = now
    session.flush()
    return 1


def new_delivery(tenant: Tenant, endpoint_id: str, event_id: str, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(**delivery_row(tenant, endpoint_id, event_id, now))


def delivery_row(
    tenant: Tenant, endpoint_id: str, event_id: str, now: datetime
) -> dict[str, object]:
    return {
        "id": new_id("webhook_delivery"),
        **tenant.row_keys(),
        "endpoint_id": endpoint_id,
        "event_id": event_id,
        "status": "pending",
        "attempt_count": 0,
        "replayed_after": 0,
        "next_attempt_at": now,
        "last_status_code": None,
        "created_at": now,
        "updated_at": now,
    }


def to_out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut(**_fields(endpoint))


def with_secret(endpoint: WebhookEndpoint) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(**_fields(endpoint), secret=endpoint.secret)


def _fields(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "enabled_events": endpoint.enabled_events,
        "batch_size": endpoint.batch_size,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "previous_secret_expires_at": endpoint.previous_secret_expires_at
        if endpoint.previous_secret is not None
        else None,
        "livemode": endpoint.livemode,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def _delivery_out(
    delivery: WebhookDelivery, event_type: str, attempts: list[WebhookAttempt]
) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        endpoint=delivery.endpoint_id,
        event=delivery.event_id,
        event_type=event_type,
        status=delivery.status,
        attempt_count=delivery.attempt_count,
        next_attempt_at=delivery.next_attempt_at,
        last_status_code=delivery.last_status_code,
        attempts=[
            AttemptOut(
                attempt=a.attempt,
                status_code=a.status_code,
                error=a.error,
                latency_ms=a.latency_ms,
                response_excerpt=a.response_excerpt,
                at=a.created_at,
            )
            for a in attempts
        ],
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
    )
