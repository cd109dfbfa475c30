"""Operators' browser sessions. The cookie holds the account, the session's id and a random
secret kept here only as its hash. A session ends on sign-out, after `IDLE` without a
request, `LIFETIME` after it opened, when its user's password changes or the user is
removed. One opened by a password for a user with TOTP is `verified` only by the code,
which must come within `SECOND_STEP`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura.db.models import ConsoleSession, User
from recura.domains.users import repository
from recura.ids import new_id

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
SECOND_STEP = timedelta(minutes=5)
# A request refreshes `last_seen_at` only when it is this old: not one write per page.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Opened:
    console_session: ConsoleSession
    cookie: str


@dataclass(frozen=True, slots=True)
class Found:
    console_session: ConsoleSession
    user: User


def open_session(session: Session, user: User, now: datetime, verified: bool) -> Opened:
    secret = secrets.token_urlsafe(32)
    row = ConsoleSession(
        account_id=user.account_id,
        id=new_id("console_session"),
        user_id=user.id,
        created_at=now,
        secret_hash=_hash(secret),
        verified_at=now if verified else None,
        last_seen_at=now,
        ended_at=None,
    )
    session.add(row)
    session.flush()
    return Opened(row, f"{row.account_id}.{row.id}.{secret}")


def from_cookie(
    session: Session, cookie: str, now: datetime, *, verified: bool = True
) -> Found | None:
    """The live session the cookie names and its user, refreshed; None for anything else.
    `verified=False` finds a session still waiting for its TOTP code (and only such)."""
    account_id, _, rest = cookie.partition(".")
    session_id, _, secret = rest.partition(".")
    if not (account_id and session_id and secret) or len(cookie) > 200:
        return None
    row = repository.get_session(session, account_id, session_id)
    if row is None or row.ended_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    if verified != (row.verified_at is not None):
        return None
    if now - row.last_seen_at >= IDLE or now - row.created_at >= LIFETIME:
        return None
    if not verified and now - row.created_at >= SECOND_STEP:
        return None
    user = repository.get(session, account_id, row.user_id)
    if user is None:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return Found(row, user)


def verify(session: Session, row: ConsoleSession, now: datetime) -> Opened:
    """The second step passed: the waiting session ends and a verified one opens (a new
    secret, so a cookie seen before the code was typed is worth nothing)."""
    row.ended_at = now
    user = repository.get(session, row.account_id, row.user_id)
    assert user is not None
    return open_session(session, user, now, verified=True)


def end(session: Session, row: ConsoleSession, now: datetime) -> None:
    row.ended_at = now
    session.flush()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def end_by_id(session: Session, account_id: str, session_id: str, now: datetime) -> None:
    row = repository.get_session(session, account_id, session_id)
    if row is not None and row.ended_at is None:
        end(session, row, now)
