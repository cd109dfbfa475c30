from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Row, String, bindparam, select, update
from sqlalchemy.orm import Session

from recura.db.models import Account, AccountLogo, ApiKey, BankAccount
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get_account(session: Session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def account_by_key(session: Session, account_id: str) -> Account:
    """The account a row names (it exists: NoResultFound otherwise)."""
    return session.get_one(Account, account_id)


def accounts_by_id(session: Session, account_ids: Collection[str]) -> dict[str, Account]:
    return {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(account_ids)))}


def list_keys(session: Session, account_id: str) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.id)
    return list(session.scalars(stmt))


def find_key(session: Session, key_id: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.id == key_id))


def bank_accounts(session: Session, tenant: Tenant) -> list[BankAccount]:
    stmt = tenant.scope(select(BankAccount), BankAccount)
    return list(session.scalars(stmt.order_by(BankAccount.id)))


def bank_accounts_page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[BankAccount]:
    stmt = tenant.scope(select(BankAccount), BankAccount)
    return paginate(session, stmt, BankAccount, limit, starting_after)


def by_legal_name(session: Session, legal_name: str) -> Account | None:
    return session.scalar(select(Account).where(Account.legal_name == legal_name))


def by_slug(session: Session, slug: str) -> Account | None:
    return session.scalar(select(Account).where(Account.slug == slug))


def slug_taken(session: Session, slug: str, account_id: str) -> bool:
    """Another account has this slug."""
    stmt = select(Account.id).where(Account.slug == slug, Account.id != account_id)
    return session.scalar(stmt) is not None


def logo(session: Session, account_id: str) -> AccountLogo | None:
    return session.get(AccountLogo, account_id)


def logo_hash(session: Session, account_id: str) -> str | None:
    """The logo's hash, without loading its bytes (pages link to it by hash)."""
    return session.scalar(select(AccountLogo.sha256).where(AccountLogo.account_id == account_id))


def key_page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[ApiKey]:
    return paginate(session, tenant.scope(select(ApiKey), ApiKey), ApiKey, limit, starting_after)


def keys_of_account(session: Session, account_id: str, limit: int) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.account_id == account_id)
    return list(
        session.scalars(stmt.order_by(ApiKey.created_at.desc(), ApiKey.id.desc()).limit(limit))
    )


# Every authenticated request that misses the key cache runs this: built once.
_ACTIVE_KEY = select(
    ApiKey.id,
    ApiKey.account_id,
    ApiKey.livemode,
    ApiKey.name,
    ApiKey.last4,
    ApiKey.scope,
    ApiKey.permissions,
).where(ApiKey.key_hash == bindparam("key_hash", type_=String), ApiKey.revoked_at.is_(None))


def active_key(
    session: Session, key_hash: str
) -> Row[str, str, bool, str, str, str, dict[str, str]] | None:
    """The active key with this hash (revoked keys are not found)."""
    return session.execute(_ACTIVE_KEY, {"key_hash": key_hash}).first()


def record_key_uses(session: Session, uses: Collection[tuple[str, str, datetime]]) -> None:
    """Set `last_used_at` of (account, key, at) uses, one statement for all; never moves a
    key's time back (another process may have written a later use)."""
    stmt = (
        update(ApiKey)
        .where(
            ApiKey.account_id == bindparam("account"),
            ApiKey.id == bindparam("key"),
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < bindparam("at")),
        )
        .values(last_used_at=bindparam("at"))
        .execution_options(synchronize_session=False)
    )
    rows = [{"account": account, "key": key, "at": at} for account, key, at in uses]
    session.connection().execute(stmt, rows)
