"""The API keys page: an owner makes a key whose secret is shown once and which the API then
takes with its scope, sees it listed (never its secret), and revokes it after a confirmation;
each step leaves an audit entry with the user as actor; a role without `api_keys.manage` is
refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import ApiKey, AuditEntry
from recura.db.unit_of_work import unit_of_work
from tests.conftest import Api, Merchant, make_merchant
from tests.console.conftest import Operator, signed_in
from tests.portal.conftest import Page


def entries(factory: sessionmaker[Session], merchant: Merchant, action: str) -> list[AuditEntry]:
    """The account's entries of `action` (the database is shared by the tests)."""
    with unit_of_work(factory) as session:
        stmt = select(AuditEntry).where(
            AuditEntry.account_id == merchant.account_id, AuditEntry.action == action
        )
        found = list(session.scalars(stmt))
        session.expunge_all()
    return found


def create(own: TestClient, **values: str) -> Page:
    form = Page(own.get("/console/api-keys")).form("form-create")
    return Page(own.post("/console/api-keys", data={**form, **values}))


def test_a_restricted_key_is_shown_once_and_the_api_takes_it_with_its_scope(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    made = create(
        own,
        name="usage reporter",
        mode="test",
        scope="restricted",
        perm_customers="read",
        perm_usage="write",
    )
    assert made.response.status_code == 200, made.text
    assert made.response.headers["cache-control"] == "no-store"
    assert "Copy the key now" in made.text
    (secret,) = made.tree.xpath('//input[@id="secret"]/@value')
    assert secret.startswith("rk_test_")
    # The API knows the key, and what it may do.
    key_api = Api(client, secret)
    assert key_api.get("/v1/customers").status_code == 200
    assert key_api.get("/v1/invoices").status_code == 403
    with unit_of_work(session_factory) as session:
        key = session.scalars(
            select(ApiKey).where(
                ApiKey.account_id == merchant.account_id, ApiKey.name == "usage reporter"
            )
        ).one()
        assert key.created_by == operator.email
        assert key.permissions == {"customers": "read", "usage": "write"}
        assert not key.livemode
        key_id = key.id
    # Listed with its scope and maker, never with its secret again.
    listing = Page(own.get("/console/api-keys"))
    assert secret not in listing.response.text
    assert "usage reporter" in listing.text
    assert "customers: Read, usage: Read and write" in listing.text
    assert operator.email in listing.text
    (entry,) = entries(session_factory, merchant, "api_key.create")
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == (
        "user",
        operator.user_id,
        operator.email,
    )
    assert entry.target_id == key_id
    assert entry.livemode is False
    assert entry.changes is not None
    assert entry.changes["scope"] == {"before": None, "after": "restricted"}


def test_revoking_asks_first_then_the_api_refuses_the_key(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    made = create(own, name="backend", mode="live", scope="full")
    (secret,) = made.tree.xpath('//input[@id="secret"]/@value')
    assert secret.startswith("rk_live_")
    assert Api(client, secret).get("/v1/customers").status_code == 200
    with unit_of_work(session_factory) as session:
        key_id = session.scalars(
            select(ApiKey.id).where(
                ApiKey.account_id == merchant.account_id, ApiKey.name == "backend"
            )
        ).one()
    listing = Page(own.get("/console/api-keys"))
    # No revoke form until the confirmation step.
    assert not listing.tree.xpath('//form[@id="form-revoke"]')
    confirm = Page(own.get(f"/console/api-keys?revoke={key_id}"))
    assert "Revoke the key “backend”?" in confirm.text
    done = own.post(
        f"/console/api-keys/{key_id}/revoke",
        data=confirm.form("form-revoke"),
        follow_redirects=False,
    )
    assert done.headers["location"] == "/console/api-keys?done=revoked"
    assert Api(client, secret).get("/v1/customers").status_code == 401
    assert "Revoked on" in Page(own.get("/console/api-keys?done=revoked")).text
    (entry,) = entries(session_factory, merchant, "api_key.revoke")
    assert (entry.actor_kind, entry.actor_id, entry.target_id) == ("user", operator.user_id, key_id)
    assert entry.livemode is True
    assert entry.changes is not None
    assert entry.changes["revoked_at"]["before"] is None
    # Again: said plainly, and nothing more is written.
    again = own.post(f"/console/api-keys/{key_id}/revoke", data=confirm.form("form-revoke"))
    assert again.status_code == 409
    assert "already revoked" in Page(again).text
    assert len(entries(session_factory, merchant, "api_key.revoke")) == 1


def test_a_bad_form_or_another_accounts_key_is_refused(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    no_family = create(own, name="nothing", mode="test", scope="restricted")
    assert no_family.response.status_code == 422
    assert "at least one resource family" in no_family.text
    # What was typed stays in the form.
    assert no_family.tree.xpath('//input[@id="key-name"]/@value') == ["nothing"]
    no_name = create(own, name="  ", mode="test", scope="full")
    assert no_name.response.status_code == 422
    assert "Give the key a name" in no_name.text
    odd_mode = create(own, name="x", mode="staging", scope="full")
    assert odd_mode.response.status_code == 422
    expired = create(own, name="x", mode="test", scope="full", form_key="forged")
    assert expired.response.status_code == 403
    with unit_of_work(session_factory) as session:
        assert (
            session.scalars(
                select(ApiKey).where(
                    ApiKey.account_id == merchant.account_id, ApiKey.name.in_(("nothing", "x"))
                )
            ).all()
            == []
        )
    assert entries(session_factory, merchant, "api_key.create") == []
    # Another account's key is not offered for revoking, nor revoked.
    elsewhere = make_merchant(session_factory, client, "Other SRL")
    with unit_of_work(session_factory) as session:
        foreign = session.scalars(
            select(ApiKey.id).where(ApiKey.account_id == elsewhere.account_id)
        ).first()
    assert not Page(own.get(f"/console/api-keys?revoke={foreign}")).tree.xpath(
        '//form[@id="form-revoke"]'
    )
    assert Api(client, elsewhere.test_key).get("/v1/customers").status_code == 200


def test_a_role_without_the_permission_is_refused(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    finance, _ = signed_in(client, session_factory, merchant, "finance")
    assert finance.get("/console/api-keys").status_code == 403
    page = Page(finance.get("/console"))
    assert not page.tree.xpath('//nav//a[@href="/console/api-keys"]')
