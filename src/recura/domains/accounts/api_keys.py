"""API keys: issue one with a scope, list, revoke, and find who a bearer token is.

A key is shown once when issued; the database keeps its keyed hash (keys.py). `last_used_at`
is written by the API in batches (api/key_usage.py), never on the request that used the key.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import ApiKey
from recura.domains.accounts import keys, repository, scopes
from recura.domains.accounts.api_key_schemas import ApiKeyCreate, ApiKeyOut
from recura.domains.audit import changes
from recura.domains.common import lookup
from recura.domains.common.actor import Actor
from recura.domains.common.errors import ConflictError, NotFoundError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.ids import new_id

# What an audit entry of a key's change shows of it: never the hash.
AUDITED = ("name", "scope", "permissions", "revoked_at")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: `token` exists only here, the database keeps its hash."""

    key: ApiKey
    token: str


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Who a request's bearer token is: the tenant it opens and what it may do there."""

    tenant: Tenant
    key_id: str
    label: str
    scope: str
    permissions: Mapping[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return Actor(kind="api_key", id=self.key_id, label=self.label)


def label(name: str, livemode: bool, last4: str) -> str:
    """How people tell a key apart: `backend (rk_live_…a1b2)`."""
    return f"{name} ({keys.LIVE_PREFIX if livemode else keys.TEST_PREFIX}…{last4})"


def issue(
    session: Session,
    account_id: str,
    livemode: bool,
    data: ApiKeyCreate,
    secret: bytes,
    now: datetime,
    created_by: str,
) -> IssuedKey:
    try:
        permissions = scopes.check_permissions(data.scope, data.permissions)
    except ValueError as error:
        raise invalid("/permissions", str(error)) from None
    token = keys.generate(livemode)
    key = ApiKey(
        id=new_id("api_key"),
        account_id=account_id,
        livemode=livemode,
        name=data.name,
        key_hash=keys.keyed_hash(secret, token),
        prefix=token[:12],
        last4=token[-4:],
        created_at=now,
        revoked_at=None,
        scope=data.scope,
        permissions=permissions,
        created_by=created_by[:400],
        last_used_at=None,
    )
    session.add(key)
    session.flush()
    changes.note(session, {}, changes.snapshot(key, AUDITED))
    return IssuedKey(key=key, token=token)


def page(session: Session, tenant: Tenant, limit: int, starting_after: str | None) -> Page[ApiKey]:
    return repository.key_page(session, tenant, limit, starting_after)


def get(session: Session, tenant: Tenant, key_id: str) -> ApiKey:
    return lookup.require(session, tenant, ApiKey, key_id, "API key")


def of_account(session: Session, account_id: str, limit: int) -> list[ApiKey]:
    """An account's keys of both modes, newest first (the console lists them together)."""
    return repository.keys_of_account(session, account_id, limit)


def get_of_account(session: Session, account_id: str, key_id: str) -> ApiKey:
    """A key of the account, whichever its mode."""
    key = repository.find_key(session, key_id)
    if key is None or key.account_id != account_id:
        raise NotFoundError("API key", key_id)
    return key


def revoke(session: Session, key: ApiKey, now: datetime) -> ApiKey:
    if key.revoked_at is not None:
        raise ConflictError(f"API key '{key.id}' was already revoked at {key.revoked_at}.")
    before = changes.snapshot(key, AUDITED)
    key.revoked_at = now
    session.flush()
    changes.note(session, before, changes.snapshot(key, AUDITED))
    return key


def revoke_by_id(session: Session, key_id: str, now: datetime) -> ApiKey:
    """Revoke a key of any account (the CLI's operator manages every account)."""
    key = repository.find_key(session, key_id)
    if key is None:
        raise NotFoundError("API key", key_id)
    return revoke(session, key, now)


def authenticate(session: Session, token: str, secret: bytes) -> KeyHolder | None:
    """Who a bearer token is, or None for an unknown, revoked or malformed token."""
    livemode = keys.mode_of(token)
    if livemode is None:
        return None
    row = repository.active_key(session, keys.keyed_hash(secret, token))
    if row is None or row.livemode != livemode:
        return None
    return KeyHolder(
        tenant=Tenant(account_id=row.account_id, livemode=row.livemode),
        key_id=row.id,
        label=label(row.name, row.livemode, row.last4),
        scope=row.scope,
        permissions=dict(row.permissions or {}),
    )


def record_uses(session: Session, uses: Collection[tuple[str, str, datetime]]) -> None:
    """Set `last_used_at` of (account, key, at) uses, one statement for all; never moves a
    key's time back (another process may have written a later use)."""
    if not uses:
        return
    repository.record_key_uses(session, uses)


def key_out(key: ApiKey, secret: str | None = None) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        redacted=f"{keys.LIVE_PREFIX if key.livemode else keys.TEST_PREFIX}…{key.last4}",
        scope=key.scope,
        permissions=key.permissions,
        created_by=key.created_by,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        livemode=key.livemode,
        secret=secret,
    )
