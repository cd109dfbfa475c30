"""Operators: one address is one user per account (whatever its case), roles are given only
by whoever may, the account keeps an owner, and five failures lock a user for 15 minutes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from recura.db.models import User
from recura.domains.accounts import service as accounts
from recura.domains.accounts.schemas import AccountCreate
from recura.domains.users import passwords
from recura.domains.users import service as users
from recura.domains.users.schemas import UserProblem

T0 = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its smallest cost: test_passwords checks the real one."""
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)


PASSWORD = "correct horse battery staple"


def account(session: Session) -> str:
    data = AccountCreate(
        legal_name=f"Users {uuid.uuid4().hex[:6]} SRL",
        country="RO",
        default_currency="RON",
        timezone="Europe/Bucharest",
        locale="ro",
        invoice_series_prefix="USR",
    )
    return accounts.create_account(session, data, T0).id


def user(session: Session, account_id: str, role: str, email: str | None = None) -> User:
    address = email or f"{role}-{uuid.uuid4().hex[:8]}@norditech.example"
    return users.create(session, account_id, address, "", role, PASSWORD, T0)


def test_one_address_is_one_user_per_account(session: Session) -> None:
    first, second = account(session), account(session)
    email = f"Ioana.{uuid.uuid4().hex[:6]}@Norditech.example"
    created = user(session, first, "owner", email)
    assert created.email == email.lower()
    assert created.name == email.lower().partition("@")[0]
    with pytest.raises(UserProblem) as taken:
        user(session, first, "analyst", email.upper())
    assert taken.value.key == "email_taken"
    assert user(session, second, "owner", email).account_id == second
    with pytest.raises(UserProblem):
        users.create(session, first, "not an address", "", "owner", PASSWORD, T0)
    with pytest.raises(UserProblem):
        users.create(session, first, "x@norditech.example", "", "root", PASSWORD, T0)
    with pytest.raises(UserProblem):
        users.create(session, "acct_missing", "x@norditech.example", "", "owner", PASSWORD, T0)


def test_only_an_owner_makes_owners_and_one_always_remains(session: Session) -> None:
    acct = account(session)
    owner, admin, analyst = (user(session, acct, r) for r in ("owner", "admin", "analyst"))
    with pytest.raises(UserProblem) as refused:
        users.change_role(session, admin, analyst.id, "owner", T0)
    assert refused.value.key == "not_allowed"
    with pytest.raises(UserProblem):
        users.change_role(session, admin, owner.id, "analyst", T0)
    with pytest.raises(UserProblem):
        users.remove(session, admin, owner.id)
    with pytest.raises(UserProblem):
        users.add(session, analyst, "new@norditech.example", "", "analyst", PASSWORD, T0)
    with pytest.raises(UserProblem) as yourself:
        users.change_role(session, owner, owner.id, "admin", T0)
    assert yourself.value.key == "not_yourself"
    users.change_role(session, admin, analyst.id, "finance", T0)
    assert analyst.role == "finance"
    second = users.add(session, owner, "second@norditech.example", "", "owner", PASSWORD, T0)
    users.change_role(session, second, owner.id, "admin", T0)
    # The one owner left: nobody else may demote or remove them, and they cannot themselves.
    with pytest.raises(UserProblem):
        users.change_role(session, owner, second.id, "admin", T0)
    with pytest.raises(UserProblem):
        users.remove(session, second, second.id)
    users.remove(session, second, analyst.id)
    assert users.get(session, acct, analyst.id) is None


def test_five_failures_lock_for_fifteen_minutes(session: Session) -> None:
    acct = account(session)
    found = user(session, acct, "support")
    for _ in range(4):
        assert users.check_password(session, found.email, "wrong password!", T0).user is None
    assert users.check_password(session, found.email, PASSWORD, T0).user is found
    for _ in range(5):
        users.check_password(session, found.email, "wrong password!", T0)
    assert found.locked_until == T0 + timedelta(minutes=15)
    locked = users.check_password(session, found.email, PASSWORD, T0 + timedelta(minutes=14))
    assert (locked.user, locked.locked) == (None, True)
    later = T0 + timedelta(minutes=15)
    assert users.check_password(session, found.email, PASSWORD, later).user is found
    unknown = users.check_password(session, "nobody@norditech.example", PASSWORD, T0)
    assert (unknown.user, unknown.locked) == (None, False)


def test_changing_the_password_takes_the_current_one(session: Session) -> None:
    found = user(session, account(session), "analyst")
    with pytest.raises(UserProblem) as wrong:
        users.change_password(session, found, "not it at all", "a new passphrase", T0, None)
    assert wrong.value.key == "wrong_password"
    with pytest.raises(UserProblem):
        users.change_password(session, found, PASSWORD, "short", T0, None)
    users.change_password(session, found, PASSWORD, "a new passphrase", T0, None)
    assert users.check_password(session, found.email, "a new passphrase", T0).user is found


def test_the_last_owner_is_kept_even_when_asked_by_an_owner(session: Session) -> None:
    acct = account(session)
    owner = user(session, acct, "owner")
    other = user(session, acct, "owner")
    users.remove(session, owner, other.id)
    # Two owners demoting each other at once: each sees the other's row locked first, and
    # the second to go finds one owner left.
    with pytest.raises(UserProblem) as last:
        users._keep_an_owner(session, acct)
    assert last.value.key == "last_owner"


def test_a_code_opens_once_and_never_an_earlier_step(session: Session) -> None:
    owner = user(session, account(session), "owner")
    secret = users.begin_totp(session, b"app secret", owner)
    app = pyotp.TOTP(secret)
    users.confirm_totp(session, b"app secret", owner, app.at(T0), T0)
    later = T0 + timedelta(seconds=30)
    assert not users.check_code(session, b"app secret", owner, app.at(T0), later)
    assert users.check_code(session, b"app secret", owner, app.at(later), later)
    assert not users.check_code(session, b"app secret", owner, app.at(later), later)
