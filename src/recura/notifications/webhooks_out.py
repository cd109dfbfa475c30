"""Outbound webhooks, per Standard Webhooks: the outbox's fan-out writes one delivery per
(endpoint, event); the worker sends them, signed, and retries until each is accepted.

Sending is at least once: a delivery is marked `sending` and committed before the request
leaves, and its result recorded after, so a worker that dies in between leaves it
`sending` until `STALE_AFTER`, when another worker sends it again. Every send of an event,
retries and replays included, carries the event's id as `webhook-id`, the key receivers
deduplicate on; so each event takes effect once at a receiver that does.

The schedule follows the spec's (Svix's) and stretches it to about three days: 5 s, 5 min,
30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 14 h, 20 h, each ±15 %, then the delivery has failed.
410 Gone disables the endpoint. 429, 502, 503 and 504 also hold back the endpoint's other
deliveries (for its Retry-After, or 30 s), and a Retry-After later than the schedule wins.
"""

from __future__ import annotations

import email.utils
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import floor
from typing import Any

import httpx
import orjson
from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from recura.clock import Clock, SystemClock
from recura.config import get_settings
from recura.db.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.webhook_endpoints import service as endpoints
from recura.domains.webhook_endpoints import targets
from recura.ids import new_id

log = logging.getLogger(__name__)

BATCH = 50
THREADS = 8
TIMEOUT_SECONDS = 15.0
# Longer than a batch takes to send (BATCH / THREADS rounds of at most TIMEOUT_SECONDS):
# a `sending` delivery this old has lost its worker.
STALE_AFTER = timedelta(minutes=5)
DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=14),
    timedelta(hours=20),
)
JITTER = 0.15
THROTTLING = frozenset({429, 502, 503, 504})
THROTTLE_PAUSE = timedelta(seconds=30)
MAX_RETRY_AFTER = timedelta(hours=24)
EXCERPT_BYTES = 1024
LOST = "No outcome recorded: the worker sending it stopped; sent again."
USER_AGENT = "Recura-Webhooks/1"

Units = Callable[[], AbstractContextManager[Session]]
_random = secrets.SystemRandom()


# -- fan-out (inside the outbox's transaction) ------------------------------------------


def fan_out(session: Session, events: Sequence[Event], now: datetime) -> None:
    """A pending delivery per event and enabled endpoint of its account and mode whose
    filter takes it; one that exists already (a batch dispatched again) is left alone."""
    accounts = {e.account_id for e in events}
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.account_id.in_(accounts), WebhookEndpoint.status == "enabled"
    )
    by_tenant: dict[tuple[str, bool], list[WebhookEndpoint]] = {}
    for endpoint in session.scalars(stmt):
        by_tenant.setdefault((endpoint.account_id, endpoint.livemode), []).append(endpoint)
    if not by_tenant:
        return
    rows = [
        endpoints.delivery_row(Tenant(e.account_id, e.livemode), endpoint.id, e.id, now)
        for e in events
        for endpoint in by_tenant.get((e.account_id, e.livemode), [])
        if endpoints.matches(endpoint.enabled_events, e.type)
    ]
    if rows:
        insert_new(session, rows)


def insert_new(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert deliveries, skipping those whose (account, endpoint, event) is taken."""
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(WebhookDelivery).on_conflict_do_nothing(
        index_elements=["account_id", "endpoint_id", "event_id"]
    )
    connection.execute(stmt, rows)


# -- sending (the worker's staged handler) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    """A delivery claimed and committed as `sending`: everything needed to send it."""

    account_id: str
    delivery_id: str
    endpoint_id: str
    attempt: int
    url: str
    secrets: tuple[str, ...]
    event_id: str
    payload: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None = None
    error: str | None = None
    latency_ms: int | None = None
    excerpt: str | None = None
    retry_after: timedelta | None = None
    # Not sent: its endpoint asked to slow down while the batch was being sent.
    held: bool = False


class Sender:
    """The HTTP side: an httpx client that follows no redirects and reads no proxy
    settings, the private-address policy, and the wall clock that stamps signatures
    (receivers compare it with theirs, so it is the real time even under a test clock)."""

    def __init__(
        self,
        allow_private: bool,
        *,
        timeout: float = TIMEOUT_SECONDS,
        wall: Callable[[], datetime] = SystemClock().now,
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.wall = wall
        # No kept-alive connections: they are keyed by address, and one opened (and its
        # certificate checked) for one host name must not carry another's requests.
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def close(self) -> None:
        self.client.close()


def payload(event: Event) -> str:
    """The Standard Webhooks body: type, timestamp, data (the event's model, as JSON; the
    `webhooks` section of the OpenAPI document describes each)."""
    try:
        data = payloads.parse(event.type, event.object_id, event.data, payloads.EventPayload)
        sent = data.json_data()
    except ValueError:
        # Recorded before its type had a model (or by hand): as stored, still delivered.
        log.warning("event %s does not match its %s model", event.id, event.type)
        sent = {**event.data, "id": event.object_id}
    body = {"type": event.type, "timestamp": _rfc3339(event.occurred_at), "data": sent}
    return orjson.dumps(body).decode()


def deliver_due(
    units: Units, clock: Clock, limit: int = BATCH, *, sender: Sender | None = None
) -> int:
    """The worker's step: claim due deliveries and mark them sending (one commit), send
    them outside any transaction, record each result in its own. Returns how many."""
    now = clock.now()
    # Read before claiming: a process that cannot load its settings claims nothing.
    allow_private = _allow_private() if sender is None else sender.allow_private
    with units() as session:
        jobs = claim(session, now, limit)
    if not jobs:
        return 0
    own = sender is None
    active = Sender(allow_private) if sender is None else sender
    throttled: set[str] = set()
    guard = threading.Lock()

    def work(job: Job) -> Outcome:
        with guard:
            if job.endpoint_id in throttled:
                return Outcome(held=True)
        outcome = send(job, active)
        if outcome.status_code in THROTTLING:
            with guard:
                throttled.add(job.endpoint_id)
        return outcome

    try:
        with ThreadPoolExecutor(THREADS, thread_name_prefix="recura-webhooks") as pool:
            futures = {pool.submit(work, job): job for job in jobs}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:
                    log.exception("sending delivery %s failed", job.delivery_id)
                    outcome = Outcome(error=f"Could not send: {type(exc).__name__}")
                try:
                    with units() as session:
                        record(session, job, outcome, clock.now())
                except Exception:  # it stays `sending`: sent again once stale
                    log.exception("could not record delivery %s", job.delivery_id)
    finally:
        if own:
            active.close()
    return len(jobs)


def claim(session: Session, now: datetime, limit: int) -> list[Job]:
    """Due deliveries of enabled, unthrottled endpoints, locked so no other worker takes
    them, marked `sending` under a new attempt number."""
    stmt = (
        select(WebhookDelivery, WebhookEndpoint, Event)
        .join(
            WebhookEndpoint,
            (WebhookEndpoint.account_id == WebhookDelivery.account_id)
            & (WebhookEndpoint.id == WebhookDelivery.endpoint_id),
        )
        .join(
            Event,
            (Event.account_id == WebhookDelivery.account_id)
            & (Event.id == WebhookDelivery.event_id),
        )
        .where(
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.status == "enabled",
            or_(WebhookEndpoint.throttled_until.is_(None), WebhookEndpoint.throttled_until <= now),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    jobs = []
    for delivery, endpoint, event in session.execute(stmt):
        if delivery.status == "sending":
            session.add(_attempt(delivery, delivery.attempt_count, Outcome(error=LOST), now))
        delivery.attempt_count += 1
        delivery.status = "sending"
        delivery.next_attempt_at = now + STALE_AFTER
        delivery.updated_at = now
        jobs.append(
            Job(
                account_id=delivery.account_id,
                delivery_id=delivery.id,
                endpoint_id=endpoint.id,
                attempt=delivery.attempt_count,
                url=endpoint.url,
                secrets=tuple(endpoints.signing_secrets(endpoint, now)),
                event_id=event.id,
                payload=payload(event),
            )
        )
    return jobs


def signature_headers(job: Job, at: datetime) -> dict[str, str]:
    signatures = " ".join(Webhook(s).sign(job.event_id, at, job.payload) for s in job.secrets)
    return {
        "webhook-id": job.event_id,
        "webhook-timestamp": str(floor(at.timestamp())),
        "webhook-signature": signatures,
    }


def send(job: Job, sender: Sender) -> Outcome:
    """POST the delivery to the address its host resolves to now, checked against the
    policy; the request goes to that address (no second lookup to be raced)."""
    try:
        host, _port, address = targets.resolve(job.url, sender.allow_private)
    except targets.Refused as refused:
        return Outcome(error=str(refused)[:500])
    url = httpx.URL(job.url)
    headers = {
        **signature_headers(job, sender.wall()),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": url.netloc.decode("ascii"),
    }
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    started = time.monotonic()
    try:
        with sender.client.stream(
            "POST",
            url.copy_with(host=str(address)),
            content=job.payload.encode(),
            headers=headers,
            extensions=extensions,
        ) as response:
            excerpt = _excerpt(response)
            code = response.status_code
            retry_after = _retry_after(response.headers.get("retry-after"), sender.wall())
    except httpx.TimeoutException:
        return Outcome(error=f"Timed out after {sender.timeout:g} s.", latency_ms=_ms(started))
    except httpx.HTTPError as exc:
        detail = f"{type(exc).__name__}: {exc}".replace("\x00", "")
        return Outcome(error=detail[:500], latency_ms=_ms(started))
    return Outcome(
        status_code=code, latency_ms=_ms(started), excerpt=excerpt, retry_after=retry_after
    )


def record(session: Session, job: Job, outcome: Outcome, now: datetime) -> None:
    """Log the attempt and move the delivery on: done, failed, or due again later."""
    # The endpoint before the delivery, as deleting an endpoint locks them.
    endpoint = session.get(WebhookEndpoint, (job.account_id, job.endpoint_id), with_for_update=True)
    delivery = session.get(WebhookDelivery, (job.account_id, job.delivery_id), with_for_update=True)
    if endpoint is None or delivery is None:  # the endpoint was deleted meanwhile
        return
    current = delivery.status == "sending" and delivery.attempt_count == job.attempt
    if outcome.held:
        if current:
            delivery.attempt_count -= 1
            delivery.status = "pending"
            until = endpoint.throttled_until
            delivery.next_attempt_at = until if until and until > now else now + THROTTLE_PAUSE
            delivery.updated_at = now
        return
    session.add(_attempt(delivery, job.attempt, outcome, now))
    if not current:  # taken over as stale by another worker, or replayed: theirs decides
        return
    code = outcome.status_code
    delivery.last_status_code = code
    delivery.updated_at = now
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.next_attempt_at = "succeeded", None
        return
    if code == 410:
        delivery.status, delivery.next_attempt_at = "failed", None
        endpoint.status = "disabled"
        endpoint.disabled_reason = f"The endpoint answered 410 Gone at {_rfc3339(now)}."
        endpoint.updated_at = now
        return
    if code in THROTTLING:
        pause = outcome.retry_after or THROTTLE_PAUSE
        until = now + pause
        if endpoint.throttled_until is None or endpoint.throttled_until < until:
            endpoint.throttled_until = until
    made = delivery.attempt_count - delivery.replayed_after
    if made > len(DELAYS):
        delivery.status, delivery.next_attempt_at = "failed", None
        return
    delay = DELAYS[made - 1] * _random.uniform(1 - JITTER, 1 + JITTER)
    if outcome.retry_after is not None:
        delay = max(delay, outcome.retry_after)
    delivery.status = "pending"
    delivery.next_attempt_at = now + delay


def _allow_private() -> bool:
    return get_settings().webhooks_allow_private


def _attempt(
    delivery: WebhookDelivery, number: int, outcome: Outcome, now: datetime
) -> WebhookAttempt:
    return WebhookAttempt(
        id=new_id("webhook_attempt"),
        account_id=delivery.account_id,
        livemode=delivery.livemode,
        delivery_id=delivery.id,
        attempt=number,
        status_code=outcome.status_code,
        error=outcome.error,
        latency_ms=outcome.latency_ms,
        response_excerpt=outcome.excerpt,
        created_at=now,
    )


def _excerpt(response: httpx.Response) -> str | None:
    read = b""
    for chunk in response.iter_bytes():
        read += chunk
        if len(read) >= EXCERPT_BYTES:
            break
    if not read:
        return None
    return read[:EXCERPT_BYTES].decode("utf-8", errors="replace").replace("\x00", "")


def _retry_after(value: str | None, at: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date, within [0, MAX_RETRY_AFTER]."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value[:9]))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = when - at
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
