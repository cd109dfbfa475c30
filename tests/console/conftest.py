"""Operators of a test account, and browsers signed in as them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.users import passwords
from recura.domains.users import service as users
from tests.conftest import T0, Merchant
from tests.portal.conftest import Page

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its smallest cost: the tests sign in hundreds of times, and check what
    the pages do with a hash, not its strength (tests/domains/users checks that)."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@dataclass
class Operator:
    user_id: str
    email: str
    role: str


def add_user(
    factory: sessionmaker[Session],
    merchant: Merchant,
    role: str,
    locale: str | None = "en",
    email: str | None = None,
) -> Operator:
    address = email or f"{role}-{uuid.uuid4().hex[:8]}@norditech.example"
    with unit_of_work(factory) as session:
        user = users.create(
            session, merchant.account_id, address, role.title(), role, PASSWORD, T0, locale
        )
    return Operator(user.id, address, role)


def browser(client: TestClient) -> TestClient:
    """A browser of its own (its own cookies) on the same app."""
    return TestClient(client.app, raise_server_exceptions=False)


def sign_in(
    client: TestClient, email: str, password: str = PASSWORD, status: int = 303
) -> Page | None:
    form = Page(client.get("/console/sign-in")).form()
    response = client.post(
        "/console/sign-in",
        data={**form, "email": email, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == status, response.text
    return None if status == 303 else Page(response)


def signed_in(
    client: TestClient, factory: sessionmaker[Session], merchant: Merchant, role: str
) -> tuple[TestClient, Operator]:
    operator = add_user(factory, merchant, role)
    own = browser(client)
    sign_in(own, operator.email)
    return own, operator


@pytest.fixture
def owner(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> tuple[TestClient, Operator]:
    return signed_in(client, session_factory, merchant, "owner")
