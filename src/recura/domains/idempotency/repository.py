from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from recura.db.models import IdempotencyKey
from recura.domains.common.tenant import Tenant


def get(session: Session, tenant: Tenant, key: str) -> IdempotencyKey | None:
    return session.get(IdempotencyKey, (tenant.account_id, tenant.livemode, key))


def take_over(
    session: Session,
    tenant: Tenant,
    key: str,
    holder: str,
    now: datetime,
    ttl: timedelta,
    lease: timedelta,
) -> bool:
    """Give an unanswered key whose lease ran out to `holder`; False when another retry or
    the request's own answer got there first (the update then finds no row)."""
    taken = session.execute(
        update(IdempotencyKey)
        .where(
            *_this(tenant, key),
            IdempotencyKey.response_status.is_(None),
            or_(IdempotencyKey.lease_expires_at.is_(None), IdempotencyKey.lease_expires_at <= now),
        )
        .values(holder=holder, lease_expires_at=now + lease, created_at=now, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def extend_lease(session: Session, tenant: Tenant, key: str, holder: str, until: datetime) -> bool:
    """False when the key is no longer `holder`'s."""
    result = session.execute(
        update(IdempotencyKey)
        .where(*_held(tenant, key, holder))
        .values(lease_expires_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def store_response(
    session: Session, tenant: Tenant, key: str, holder: str, status: int, body: str
) -> bool:
    """False when the key is no longer `holder`'s."""
    result = session.execute(
        update(IdempotencyKey)
        .where(*_held(tenant, key, holder))
        .values(response_status=status, response_body=body, holder=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def delete_held(session: Session, tenant: Tenant, key: str, holder: str) -> None:
    session.execute(delete(IdempotencyKey).where(*_held(tenant, key, holder)))


def delete_expired(session: Session, now: datetime) -> int:
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _this(tenant: Tenant, key: str) -> tuple[Any, ...]:
    return (
        IdempotencyKey.account_id == tenant.account_id,
        IdempotencyKey.livemode == tenant.livemode,
        IdempotencyKey.key == key,
    )


def _held(tenant: Tenant, key: str, holder: str) -> tuple[Any, ...]:
    return (
        *_this(tenant, key),
        IdempotencyKey.holder == holder,
        IdempotencyKey.response_status.is_(None),
    )
