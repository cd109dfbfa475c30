"""Operators: adding them, their roles, passwords and second factor, and checking who is
signing in. A failed password or code counts against the user; the fifth in a row locks
the user out for 15 minutes. Changing a password or removing a user ends their sessions.
Services never commit: the page or command owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura.core import permissions
from recura.db.models import User
from recura.domains.accounts import repository as accounts
from recura.domains.users import passwords, repository, totp
from recura.domains.users.schemas import SignIn, UserProblem, email_address, role
from recura.ids import new_id

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def create(
    session: Session,
    account_id: str,
    email: str,
    name: str,
    role_name: str,
    password: str,
    now: datetime,
    locale: str | None = None,
) -> User:
    if accounts.get_account(session, account_id) is None:
        raise UserProblem("no_account")
    address = email_address(email)
    chosen = role(role_name)
    problem = passwords.problem(password)
    if problem:
        raise UserProblem(problem)
    if repository.by_email(session, account_id, address) is not None:
        raise UserProblem("email_taken")
    user = User(
        account_id=account_id,
        id=new_id("user"),
        created_at=now,
        email=address,
        name=name.strip()[:200] or address.partition("@")[0],
        role=chosen,
        locale=locale,
        password_hash=passwords.hash_password(password),
        password_changed_at=now,
        totp_secret=None,
        totp_enabled_at=None,
        failed_attempts=0,
        locked_until=None,
        password_reset=None,
        last_sign_in_at=None,
    )
    session.add(user)
    session.flush()
    return user


def add(
    session: Session,
    by: User,
    email: str,
    name: str,
    role_name: str,
    password: str,
    now: datetime,
) -> User:
    """A user added from the console by `by`, who must be allowed to give that role."""
    if not permissions.may_assign(by.role, role_name):
        raise UserProblem("not_allowed" if role_name in permissions.ROLES else "bad_role")
    return create(session, by.account_id, email, name, role_name, password, now)


def of_account(session: Session, account_id: str) -> Sequence[User]:
    return repository.of_account(session, account_id)


def listed(session: Session, account_id: str | None = None) -> Sequence[User]:
    return repository.of_accounts(session, account_id)


def get(session: Session, account_id: str, user_id: str) -> User | None:
    return repository.get(session, account_id, user_id)


def change_role(session: Session, by: User, user_id: str, role_name: str, now: datetime) -> User:
    target = _other(session, by, user_id)
    chosen = role(role_name)
    if not (
        permissions.may_assign(by.role, chosen) and permissions.may_assign(by.role, target.role)
    ):
        raise UserProblem("not_allowed")
    if target.role == "owner" and chosen != "owner":
        _keep_an_owner(session, by.account_id)
    target.role = chosen
    session.flush()
    return target


def remove(session: Session, by: User, user_id: str) -> None:
    """Remove a user, and with them their sessions (so they are signed out at once)."""
    target = _other(session, by, user_id)
    if not permissions.may_assign(by.role, target.role):
        raise UserProblem("not_allowed")
    if target.role == "owner":
        _keep_an_owner(session, by.account_id)
    repository.delete_sessions(session, target.account_id, target.id)
    session.delete(target)
    session.flush()


def change_password(
    session: Session, user: User, current: str, new: str, now: datetime, keep: str | None
) -> None:
    """The user's own change: the current password first. Every other session of theirs
    ends (`keep`: the one they are changing it from)."""
    if not passwords.verify(user.password_hash, current):
        raise UserProblem("wrong_password")
    set_password(session, user, new, now, keep)


def set_password(
    session: Session, user: User, new: str, now: datetime, keep: str | None = None
) -> None:
    problem = passwords.problem(new)
    if problem:
        raise UserProblem(problem)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = now
    user.password_reset = None
    user.failed_attempts = 0
    user.locked_until = None
    repository.end_sessions(session, user.account_id, user.id, now, keep)
    session.flush()


def check_password(session: Session, email: str, password: str, now: datetime) -> SignIn:
    """The first step of signing in. The answer is the same for an unknown address, a wrong
    password and a locked user, and takes as long (a decoy hash is checked)."""
    try:
        address = email_address(email)
    except UserProblem:
        passwords.verify(None, password)
        return SignIn(None)
    found = repository.everywhere_by_email(session, address)
    if not found:
        passwords.verify(None, password)
        return SignIn(None)
    for candidate in found:
        user = repository.lock(session, candidate.account_id, candidate.id)
        assert user is not None
        if user.locked_until is not None and now < user.locked_until:
            passwords.verify(None, password)
            return SignIn(None, locked=True)
        if passwords.verify(user.password_hash, password):
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(password)
            user.failed_attempts = 0
            user.locked_until = None
            session.flush()
            return SignIn(user)
        fail(session, user, now)
    return SignIn(None)


def fail(session: Session, user: User, now: datetime) -> None:
    """One more failed password or code; the fifth in a row locks the user out."""
    user.failed_attempts += 1
    if user.failed_attempts >= MAX_FAILURES:
        user.failed_attempts = 0
        user.locked_until = now + LOCKOUT
    session.flush()


def locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def check_code(session: Session, app_secret: bytes, user: User, code: str, now: datetime) -> bool:
    """The second step: the code from the user's authenticator app."""
    if user.totp_secret is None or user.totp_enabled_at is None or locked(user, now):
        return False
    try:
        secret = totp.unseal(app_secret, user.id, user.totp_secret)
    except ValueError:  # sealed under another app secret: no code can match
        secret = None
    step = None if secret is None else totp.matched_step(secret, code, now, user.totp_last_step)
    if step is not None:
        user.failed_attempts = 0
        user.totp_last_step = step
        session.flush()
        return True
    fail(session, user, now)
    return False


def signed_in(session: Session, user: User, now: datetime) -> None:
    user.last_sign_in_at = now
    session.flush()


def begin_totp(session: Session, app_secret: bytes, user: User) -> str:
    """A new secret for the user to enrol (kept sealed, not yet required); the plain secret
    is returned for the enrolment page alone."""
    if user.totp_enabled_at is not None:
        raise UserProblem("not_allowed")
    secret = totp.new_secret()
    user.totp_secret = totp.seal(app_secret, user.id, secret)
    session.flush()
    return secret


def pending_totp(app_secret: bytes, user: User) -> str | None:
    """The secret being enrolled (shown until confirmed, never after)."""
    if user.totp_secret is None or user.totp_enabled_at is not None:
        return None
    return totp.unseal(app_secret, user.id, user.totp_secret)


def confirm_totp(session: Session, app_secret: bytes, user: User, code: str, now: datetime) -> None:
    secret = pending_totp(app_secret, user)
    step = None if secret is None else totp.matched_step(secret, code, now)
    if step is None:
        raise UserProblem("bad_code")
    user.totp_enabled_at = now
    user.totp_last_step = step
    session.flush()


def disable_totp(session: Session, user: User, password: str) -> None:
    if not passwords.verify(user.password_hash, password):
        raise UserProblem("wrong_password")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.flush()


def set_locale(session: Session, user: User, locale: str | None) -> None:
    user.locale = locale
    session.flush()


def _other(session: Session, by: User, user_id: str) -> User:
    if user_id == by.id:
        raise UserProblem("not_yourself")
    target = repository.lock(session, by.account_id, user_id)
    if target is None:
        raise UserProblem("not_allowed")
    return target


def _keep_an_owner(session: Session, account_id: str) -> None:
    if len(repository.lock_owners(session, account_id)) <= 1:
        raise UserProblem("last_owner")
