"""Outbound webhooks, per Standard Webhooks: the outbox's fan-out writes one delivery per
(endpoint, event); the worker sends them, signed, and retries until each is accepted.

Sending is at least once, a staged batch (`recura.staged`): a delivery is marked `sending`
and committed before the request leaves, and its result recorded after, so a worker that
dies in between leaves it `sending` until its claim expires, when another worker sends it
again. Every send of an event,
retries and replays included, carries the event's id as `webhook-id`, the key receivers
deduplicate on; so each event takes effect once at a receiver that does.

The schedule follows the spec's (Svix's) and stretches it to about three days: 5 s, 5 min,
30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 14 h, 20 h, each ±15 %, then the delivery has failed.
410 Gone disables the endpoint. 429, 502, 503 and 504 also hold back the endpoint's other
deliveries (for its Retry-After, or 30 s), and a Retry-After later than the schedule wins;
so do FAILING_IN_A_ROW failures in a row within a batch (errors, timeouts, 5xx answers), so
that an endpoint that is down costs a few sends per pause, whatever its backlog. A send
takes at most TIMEOUT_SECONDS in all, however slowly the receiver answers.
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import logging
import secrets
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from math import floor
from typing import Any

import httpx
import orjson
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from recura import staged
from recura.clock import Clock, SystemClock
from recura.config import get_settings
from recura.db.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from recura.db.unit_of_work import Units
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.webhook_endpoints import repository, targets
from recura.domains.webhook_endpoints import service as endpoints
from recura.ids import new_id

log = logging.getLogger(__name__)

BATCH = 50
# A batch's body says it is one: `{"type": "batch", "timestamp": ..., "data": [events]}`.
BATCH_TYPE = "batch"
THREADS = 8
# A send's total deadline (the default of the `webhooks_deadline_seconds` setting).
TIMEOUT_SECONDS = 15.0
FAILING_IN_A_ROW = 3
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

_random = secrets.SystemRandom()


# -- fan-out (inside the outbox's transaction) ------------------------------------------


def fan_out(session: Session, events: Sequence[Event], now: datetime) -> None:
    """A pending delivery per event and enabled endpoint of its account and mode whose
    filter takes it; one that exists already (a batch dispatched again) is left alone."""
    accounts = {e.account_id for e in events}
    by_tenant: dict[tuple[str, bool], list[WebhookEndpoint]] = {}
    for endpoint in repository.enabled_endpoints(session, accounts):
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
        repository.insert_new_deliveries(session, rows)


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
    body: dict[str, Any]  # the event as sent (`body`)
    batch_size: int  # the endpoint's: events per request


@dataclass(frozen=True, slots=True)
class Request:
    """One POST: a delivery alone, signed under its event's id, or up to its endpoint's
    `batch_size` of them together, signed under an id of the batch's own."""

    jobs: tuple[Job, ...]
    webhook_id: str
    payload: str

    @property
    def endpoint_id(self) -> str:
        return self.jobs[0].endpoint_id

    @property
    def url(self) -> str:
        return self.jobs[0].url

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.jobs[0].secrets


def requests(jobs: Sequence[Job], at: datetime) -> list[Request]:
    """The jobs as requests: each endpoint's in its claimed order, `batch_size` at a time
    (an endpoint taking one at a time gets each alone, as its event)."""
    by_endpoint: dict[str, list[Job]] = {}
    for job in jobs:
        by_endpoint.setdefault(job.endpoint_id, []).append(job)
    made = []
    for taken in by_endpoint.values():
        size = taken[0].batch_size
        for start in range(0, len(taken), size):
            made.append(_request(tuple(taken[start : start + size]), at))
    return made


def _request(jobs: tuple[Job, ...], at: datetime) -> Request:
    if jobs[0].batch_size == 1:
        return Request(jobs, jobs[0].event_id, orjson.dumps(jobs[0].body).decode())
    # The same events make the same batch id, in whatever order they were claimed: one
    # sent again is known as the same batch.
    ids = sorted(job.event_id for job in jobs)
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:32]
    body = batch_body([(job.event_id, job.body) for job in jobs], at)
    return Request(jobs, f"batch_{digest}", orjson.dumps(body).decode())


def batch_body(events: Sequence[tuple[str, dict[str, Any]]], at: datetime) -> dict[str, Any]:
    """The body of a batch of (event id, event as sent alone)."""
    data = [{"id": event_id, **sent} for event_id, sent in events]
    return {"type": BATCH_TYPE, "timestamp": _rfc3339(at), "data": data}


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None = None
    error: str | None = None
    latency_ms: int | None = None
    excerpt: str | None = None
    retry_after: timedelta | None = None


class Sender:
    """The HTTP side: an httpx client that follows no redirects and reads no proxy
    settings, the private-address policy, and the wall clock that stamps signatures
    (receivers compare it with theirs, so it is the real time even under a test clock).
    `timeout` is a send's total deadline."""

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
        # The system's certificates, loaded once (it took longer than a batch's sends).
        self._context = ssl.create_default_context()
        # A thread's client goes with the thread (the sending threads are a batch's).
        self._own = threading.local()

    @property
    def client(self) -> httpx.Client:
        """The calling thread's own client: threads sharing one pool had a connection
        closed under a request now and then (a read on a closed descriptor, after the
        request was sent: the event went twice)."""
        client: httpx.Client | None = getattr(self._own, "client", None)
        if client is None:
            # No kept-alive connections: they are keyed by address, and one opened (and
            # its certificate checked) for one host name must not carry another's requests.
            client = httpx.Client(
                verify=self._context,
                timeout=self.timeout,
                follow_redirects=False,
                trust_env=False,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
            self._own.client = client
        return client

    def close(self) -> None:
        """Close the calling thread's client, if it made one."""
        client: httpx.Client | None = getattr(self._own, "client", None)
        if client is not None:
            client.close()
            self._own.client = None


def payload(event: Event) -> str:
    """The Standard Webhooks body of an event sent alone."""
    return orjson.dumps(body(event)).decode()


def body(event: Event) -> dict[str, Any]:
    """An event as sent: type, timestamp, data (the event's model, as JSON; the `webhooks`
    section of the OpenAPI document describes each)."""
    try:
        data = payloads.parse(event.type, event.object_id, event.data, payloads.EventPayload)
        sent = data.json_data()
    except ValueError:
        # Recorded before its type had a model (or by hand): as stored, still delivered.
        log.warning("event %s does not match its %s model", event.id, event.type)
        sent = {**event.data, "id": event.object_id}
    return {"type": event.type, "timestamp": _rfc3339(event.occurred_at), "data": sent}


class Delivering(staged.Kind[Request, Outcome]):
    """Due deliveries as a staged batch of requests, sent on THREADS threads. Each endpoint
    is a lane: while other endpoints' requests wait it has at most `staged.LANE_SHARE`
    threads, and once it has failed FAILING_IN_A_ROW times in the batch (or asked to slow
    down), the rest of its requests are released unsent and it is held back for
    THROTTLE_PAUSE. A request's answer is each of its deliveries' answer."""

    name = "webhooks"
    threads = THREADS

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.deadline = sender.timeout
        self.failing: Counter[str] = Counter()
        self.throttled: set[str] = set()

    def claim(self, session: Session, now: datetime, limit: int) -> list[Request]:
        jobs = claim(session, now, limit)
        self.taken = len(jobs)
        return requests(jobs, now)

    def send(self, item: Request, deadline: staged.Deadline) -> Outcome:
        return send(item, self.sender, deadline)

    def unanswered(self, item: Request, error: Exception) -> Outcome:
        return Outcome(error=f"Could not send: {type(error).__name__}")

    def heard(self, item: Request, answer: Outcome) -> None:
        code = answer.status_code
        if code is None or code >= 500:
            self.failing[item.endpoint_id] += 1
        else:
            self.failing[item.endpoint_id] = 0
        if self.failing[item.endpoint_id] >= FAILING_IN_A_ROW or code in THROTTLING:
            self.throttled.add(item.endpoint_id)

    def record(self, session: Session, item: Request, answer: Outcome, now: datetime) -> None:
        self.record_many(session, [(item, answer)], now)

    def record_many(
        self, session: Session, answered: Sequence[tuple[Request, Outcome]], now: datetime
    ) -> None:
        each = [(job, outcome) for request, outcome in answered for job in request.jobs]
        endpoints, deliveries = _locked_all(session, [job for job, _ in each])
        for job, outcome in each:
            endpoint = endpoints.get(job.endpoint_id)
            delivery = deliveries.get(job.delivery_id)
            # Held back once it has kept failing: it is, after its batch, if it still does.
            failing = self.failing[job.endpoint_id] >= FAILING_IN_A_ROW
            record(session, job, outcome, now, endpoint, delivery, hold_endpoint=failing)

    def release(self, session: Session, items: Sequence[Request], now: datetime) -> None:
        jobs = [job for request in items for job in request.jobs]
        endpoints, deliveries = _locked_all(session, jobs)
        for job in jobs:
            release(job, endpoints.get(job.endpoint_id), deliveries.get(job.delivery_id), now)

    def lane(self, item: Request) -> str:
        return item.endpoint_id

    def held(self, item: Request) -> bool:
        return item.endpoint_id in self.throttled


def deliver_due(
    units: Units, clock: Clock, limit: int = BATCH, *, sender: Sender | None = None
) -> int:
    """The worker's step: one staged batch of due deliveries. Returns how many."""
    if sender is not None:
        return staged.run(units, clock, Delivering(sender), limit)
    # Read before claiming: a process that cannot load its settings claims nothing.
    settings = get_settings()
    own = _sender(settings.webhooks_allow_private, settings.webhooks_deadline_seconds)
    return staged.run(units, clock, Delivering(own), limit)


@functools.cache
def _sender(allow_private: bool, timeout: float) -> Sender:
    """One sender per setting for the process's life: making one loads the system's
    certificates, which took longer than the batch it sent."""
    return Sender(allow_private, timeout=timeout)


def claim(session: Session, now: datetime, limit: int) -> list[Job]:
    """Due deliveries of enabled, unthrottled endpoints, locked so no other worker takes
    them, marked `sending` under a new attempt number: enough for `limit` requests, an
    endpoint taking batches filling each of its requests. The batch is shared among the
    endpoints with deliveries due, so one endpoint's backlog does not keep another's
    deliveries waiting behind it."""
    lanes = repository.due_endpoints(session, now, limit)
    if not lanes:
        return []
    share = -(-limit // len(lanes))
    jobs: list[Job] = []
    requests = 0
    filled = []
    for endpoint in lanes:
        room = min(share, limit - requests)
        taken = _claim_of(session, endpoint, now, room * endpoint.batch_size)
        jobs += taken
        requests += -(-len(taken) // endpoint.batch_size)
        if room and len(taken) == room * endpoint.batch_size:
            filled.append(endpoint)
    for endpoint in filled:  # what the others left of the batch
        if requests >= limit:
            break
        taken = _claim_of(session, endpoint, now, (limit - requests) * endpoint.batch_size)
        jobs += taken
        requests += -(-len(taken) // endpoint.batch_size)
    return jobs


def _claim_of(session: Session, endpoint: WebhookEndpoint, now: datetime, limit: int) -> list[Job]:
    jobs = []
    for delivery, event in repository.lock_due_deliveries(session, endpoint, now, limit):
        if delivery.status == "sending":  # its claim expired: the worker was lost
            session.add(_attempt(delivery, delivery.attempt_count, Outcome(error=LOST), now))
        delivery.attempt_count += 1
        delivery.status = "sending"
        # Taken again by the stale-claim rule if no answer is recorded by then.
        delivery.next_attempt_at = now + staged.CLAIM_EXPIRES
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
                body=body(event),
                batch_size=endpoint.batch_size,
            )
        )
    session.flush()  # no longer due: a second claim of this endpoint takes others
    return jobs


def signature_headers(request: Request, at: datetime) -> dict[str, str]:
    signatures = " ".join(
        Webhook(s).sign(request.webhook_id, at, request.payload) for s in request.secrets
    )
    return {
        "webhook-id": request.webhook_id,
        "webhook-timestamp": str(floor(at.timestamp())),
        "webhook-signature": signatures,
    }


def send(request: Request, sender: Sender, deadline: staged.Deadline | None = None) -> Outcome:
    """POST the request to the address its host resolves to now, checked against the
    policy; the request goes to that address (no second lookup to be raced). Within the
    sender's timeout in all: its connection is cut when `deadline` passes."""
    if deadline is None:
        with staged.Deadline(sender.timeout) as own:
            return send(request, sender, own)
    try:
        host, _port, address = targets.resolve(request.url, sender.allow_private)
    except targets.Refused as refused:
        return Outcome(error=str(refused)[:500])
    url = httpx.URL(request.url)
    headers = {
        **signature_headers(request, sender.wall()),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": url.netloc.decode("ascii"),
    }
    extensions: dict[str, Any] = {"trace": _watching(deadline)}
    if url.scheme == "https":
        extensions["sni_hostname"] = host
    started = time.monotonic()
    timed_out = Outcome(error=f"Timed out after {sender.timeout:g} s.", latency_ms=_ms(started))
    try:
        with sender.client.stream(
            "POST",
            url.copy_with(host=str(address)),
            content=request.payload.encode(),
            headers=headers,
            extensions=extensions,
            timeout=max(deadline.remaining(), 0.001),
        ) as response:
            excerpt = _excerpt(response)
            code = response.status_code
            retry_after = _retry_after(response.headers.get("retry-after"), sender.wall())
    except httpx.TimeoutException:
        return replace(timed_out, latency_ms=_ms(started))
    except httpx.HTTPError as exc:
        if deadline.passed:  # cut at the deadline, whatever the read was doing
            return replace(timed_out, latency_ms=_ms(started))
        detail = f"{type(exc).__name__}: {exc}".replace("\x00", "")
        return Outcome(error=detail[:500], latency_ms=_ms(started))
    if deadline.passed:  # the answer was complete, but only after the deadline
        return replace(timed_out, latency_ms=_ms(started))
    return Outcome(
        status_code=code, latency_ms=_ms(started), excerpt=excerpt, retry_after=retry_after
    )


def _watching(deadline: staged.Deadline) -> Callable[[str, dict[str, Any]], None]:
    """An httpcore trace hook that hands each socket the request opens to the deadline."""

    def trace(event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                deadline.watch(sock)

    return trace


def record(
    session: Session,
    job: Job,
    outcome: Outcome,
    now: datetime,
    endpoint: WebhookEndpoint | None,
    delivery: WebhookDelivery | None,
    *,
    hold_endpoint: bool = False,
) -> None:
    """Log the attempt and move the delivery on: done, failed, or due again later; the
    endpoint and delivery are locked (`_locked_all`). `hold_endpoint`: the endpoint keeps
    failing, nothing more is sent to it for a while."""
    if endpoint is None or delivery is None:  # the endpoint was deleted meanwhile
        return
    session.add(_attempt(delivery, job.attempt, outcome, now))
    code = outcome.status_code
    if code in THROTTLING or hold_endpoint:
        pause = outcome.retry_after if code in THROTTLING and outcome.retry_after else None
        until = now + (pause or THROTTLE_PAUSE)
        if endpoint.throttled_until is None or endpoint.throttled_until < until:
            endpoint.throttled_until = until
    if not _current(delivery, job):  # taken over as stale by another worker, or replayed
        return
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
    made = delivery.attempt_count - delivery.replayed_after
    if made > len(DELAYS):
        delivery.status, delivery.next_attempt_at = "failed", None
        return
    delay = DELAYS[made - 1] * _random.uniform(1 - JITTER, 1 + JITTER)
    if outcome.retry_after is not None:
        delay = max(delay, outcome.retry_after)
    delivery.status = "pending"
    delivery.next_attempt_at = now + delay


def release(
    job: Job, endpoint: WebhookEndpoint | None, delivery: WebhookDelivery | None, now: datetime
) -> None:
    """A claimed delivery not sent after all (its rows locked): pending again, its attempt
    not counted, due when its endpoint is no longer held back."""
    if endpoint is None or delivery is None or not _current(delivery, job):
        return
    delivery.attempt_count -= 1
    delivery.status = "pending"
    until = endpoint.throttled_until
    delivery.next_attempt_at = until if until and until > now else now
    delivery.updated_at = now


def _locked_all(
    session: Session, jobs: Sequence[Job]
) -> tuple[dict[str, WebhookEndpoint], dict[str, WebhookDelivery]]:
    """The jobs' endpoints and deliveries by id, locked: the endpoints first, as deleting
    an endpoint locks them, each kind in the order of its keys, so that two workers
    recording at once take their locks in one order."""
    endpoint_keys = sorted({(job.account_id, job.endpoint_id) for job in jobs})
    delivery_keys = sorted({(job.account_id, job.delivery_id) for job in jobs})
    endpoints = repository.lock_endpoints(session, endpoint_keys)
    deliveries = repository.lock_deliveries(session, delivery_keys)
    return {e.id: e for e in endpoints}, {d.id: d for d in deliveries}


def _current(delivery: WebhookDelivery, job: Job) -> bool:
    return delivery.status == "sending" and delivery.attempt_count == job.attempt


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
