"""A key is claimed in its own committed transaction, so a concurrent twin sees it at once;
the response is stored in the request's own transaction, so it exists exactly when the
request's effects do.

A claim is a lease held by one running request (its `holder`), which renews it while it
runs. A request that died with its process (killed, or its database gone) renews nothing,
so once its lease has run out a retry takes the key over; the takeover is a conditional
update, so of several retries at once exactly one wins. The request that lost its lease can
no longer store its answer, and its transaction is rolled back instead.
"""

from __future__ import annotations

import enum
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import IdempotencyKey
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.idempotency import repository


class ClaimState(enum.Enum):
    NEW = "new"
    REPLAY = "replay"
    IN_PROGRESS = "in_progress"
    MISMATCH = "mismatch"


@dataclass(frozen=True, slots=True)
class Claim:
    state: ClaimState
    status: int | None = None
    body: str | None = None
    holder: str | None = None  # NEW: the token that renews, completes or releases the claim


class LeaseLost(Exception):
    """The key was taken over by a retry while this request ran: its answer is not the one."""


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Same request = same method, path, query and JSON value (key order and spacing ignored)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def claim(
    factory: sessionmaker[Session],
    tenant: Tenant,
    key: str,
    request_fingerprint: str,
    now: datetime,
    ttl: timedelta,
    lease: timedelta,
) -> Claim:
    for _ in range(3):
        try:
            with unit_of_work(factory) as session:
                return _claim_once(session, tenant, key, request_fingerprint, now, ttl, lease)
        except IntegrityError:
            continue  # a concurrent twin inserted first: read its row on the next turn
    return Claim(ClaimState.IN_PROGRESS)


def _claim_once(
    session: Session,
    tenant: Tenant,
    key: str,
    request_fingerprint: str,
    now: datetime,
    ttl: timedelta,
    lease: timedelta,
) -> Claim:
    holder = secrets.token_hex(16)
    row = repository.get(session, tenant, key)
    if row is not None and row.expires_at <= now:
        session.delete(row)
        session.flush()
        row = None
    if row is None:
        session.add(
            IdempotencyKey(
                account_id=tenant.account_id,
                livemode=tenant.livemode,
                key=key,
                request_fingerprint=request_fingerprint,
                response_status=None,
                response_body=None,
                created_at=now,
                expires_at=now + ttl,
                holder=holder,
                lease_expires_at=now + lease,
            )
        )
        session.flush()
        return Claim(ClaimState.NEW, holder=holder)
    if row.request_fingerprint != request_fingerprint:
        return Claim(ClaimState.MISMATCH)
    if row.response_status is not None:
        return Claim(ClaimState.REPLAY, status=row.response_status, body=row.response_body)
    if row.lease_expires_at is not None and row.lease_expires_at > now:
        return Claim(ClaimState.IN_PROGRESS)
    # Its request stopped renewing: take it over, unless another retry or the request's
    # own answer got there first (the update then finds no row).
    if not repository.take_over(session, tenant, key, holder, now, ttl, lease):
        return Claim(ClaimState.IN_PROGRESS)
    return Claim(ClaimState.NEW, holder=holder)


def renew(
    factory: sessionmaker[Session], tenant: Tenant, key: str, holder: str, until: datetime
) -> bool:
    """Extend a running request's lease; False when it is no longer this request's."""
    with unit_of_work(factory) as session:
        return repository.extend_lease(session, tenant, key, holder, until)


def complete(
    session: Session, tenant: Tenant, key: str, holder: str, status: int, body: str
) -> None:
    """Store the answer in the request's transaction; LeaseLost if a retry took the key."""
    if not repository.store_response(session, tenant, key, holder, status, body):
        raise LeaseLost(key)


def release(factory: sessionmaker[Session], tenant: Tenant, key: str, holder: str) -> None:
    """Forget a claim whose request failed, so the client may retry it."""
    with unit_of_work(factory) as session:
        repository.delete_held(session, tenant, key, holder)


def purge_expired(session: Session, now: datetime) -> int:
    return repository.delete_expired(session, now)
