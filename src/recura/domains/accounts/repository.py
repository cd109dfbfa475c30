from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import Account, ApiKey


def get_account(session: Session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def active_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalar(
        select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    )


def list_keys(session: Session, account_id: str) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.id)
    return list(session.scalars(stmt))


def find_key(session: Session, key_id: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.id == key_id))
