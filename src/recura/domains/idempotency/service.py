"""A key is claimed in its own committed transaction, so a concurrent twin sees it at once;
the response is stored in the request's own transaction, so it exists exactly when the
request's effects do."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import IdempotencyKey
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant


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
) -> Claim:
    for _ in range(3):
        try:
            with unit_of_work(factory) as session:
                return _claim_once(session, tenant, key, request_fingerprint, now, ttl)
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
) -> Claim:
    row = session.get(IdempotencyKey, (tenant.account_id, tenant.livemode, key))
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
            )
        )
        session.flush()
        return Claim(ClaimState.NEW)
    if row.request_fingerprint != request_fingerprint:
        return Claim(ClaimState.MISMATCH)
    if row.response_status is None:
        return Claim(ClaimState.IN_PROGRESS)
    return Claim(ClaimState.REPLAY, status=row.response_status, body=row.response_body)


def complete(session: Session, tenant: Tenant, key: str, status: int, body: str) -> None:
    row = session.get(IdempotencyKey, (tenant.account_id, tenant.livemode, key))
    if row is None:
        raise RuntimeError("idempotency key vanished while its request ran")
    row.response_status = status
    row.response_body = body
    session.flush()


def release(factory: sessionmaker[Session], tenant: Tenant, key: str) -> None:
    """Forget a claim whose request failed, so the client may retry it."""
    with unit_of_work(factory) as session:
        session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.account_id == tenant.account_id,
                IdempotencyKey.livemode == tenant.livemode,
                IdempotencyKey.key == key,
                IdempotencyKey.response_status.is_(None),
            )
        )


def purge_expired(session: Session, now: datetime) -> int:
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
