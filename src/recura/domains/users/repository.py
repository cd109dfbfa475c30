"""Every query about operators and their console sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from recura.db.models import ConsoleSession, User


def get(session: Session, account_id: str, user_id: str) -> User | None:
    return session.get(User, (account_id, user_id))


def lock(session: Session, account_id: str, user_id: str) -> User | None:
    stmt = select(User).where(User.account_id == account_id, User.id == user_id).with_for_update()
    return session.scalar(stmt)


def by_email(session: Session, account_id: str, email: str) -> User | None:
    stmt = select(User).where(User.account_id == account_id, User.email == email.lower())
    return session.scalar(stmt)


def everywhere_by_email(session: Session, email: str) -> Sequence[User]:
    """The users with this address in any account, the most recently signed in first."""
    stmt = (
        select(User)
        .where(User.email == email.lower())
        .order_by(User.last_sign_in_at.desc().nulls_last(), User.created_at)
        .limit(20)
    )
    return session.scalars(stmt).all()


def of_account(session: Session, account_id: str) -> Sequence[User]:
    stmt = select(User).where(User.account_id == account_id).order_by(User.created_at, User.id)
    return session.scalars(stmt).all()


def of_accounts(session: Session, account_id: str | None) -> Sequence[User]:
    stmt = select(User).order_by(User.account_id, User.created_at, User.id)
    if account_id is not None:
        stmt = stmt.where(User.account_id == account_id)
    return session.scalars(stmt).all()


def count_owners(session: Session, account_id: str) -> int:
    stmt = select(func.count()).where(User.account_id == account_id, User.role == "owner")
    return int(session.scalar(stmt) or 0)


def lock_owners(session: Session, account_id: str) -> Sequence[str]:
    """The owners' ids, their rows locked: two owners demoting each other at once must not
    leave the account without one."""
    stmt = (
        select(User.id)
        .where(User.account_id == account_id, User.role == "owner")
        .order_by(User.id)
        .with_for_update()
    )
    return session.scalars(stmt).all()


def get_session(session: Session, account_id: str, session_id: str) -> ConsoleSession | None:
    return session.get(ConsoleSession, (account_id, session_id))


def end_sessions(
    session: Session, account_id: str, user_id: str, now: datetime, keep: str | None = None
) -> None:
    stmt = update(ConsoleSession).where(
        ConsoleSession.account_id == account_id,
        ConsoleSession.user_id == user_id,
        ConsoleSession.ended_at.is_(None),
    )
    if keep is not None:
        stmt = stmt.where(ConsoleSession.id != keep)
    session.execute(stmt.values(ended_at=now))


def delete_sessions(session: Session, account_id: str, user_id: str) -> None:
    stmt = delete(ConsoleSession).where(
        ConsoleSession.account_id == account_id, ConsoleSession.user_id == user_id
    )
    session.execute(stmt)
