"""Console actions leave audit entries with the signed-in user as actor, in the transaction
of the change; the audit log page lists them with their changes, filters and pages them as
the API does, and is refused to roles without `audit.read`."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.console import pages
from recura.db.models import AuditEntry
from recura.db.unit_of_work import unit_of_work
from recura.domains.audit import service as audit
from recura.domains.common import actor
from recura.domains.common.actor import Actor
from recura.domains.common.tenant import Tenant
from tests.conftest import T0, Merchant
from tests.console.conftest import PASSWORD, Operator, add_user, signed_in
from tests.console.test_totp import enrol
from tests.portal.conftest import Page


def actions_by(
    factory: sessionmaker[Session], merchant: Merchant, user_id: str
) -> list[tuple[str, str | None]]:
    """(action, target) of the user's entries in the account, oldest first."""
    with unit_of_work(factory) as session:
        stmt = (
            select(AuditEntry)
            .where(
                AuditEntry.account_id == merchant.account_id,
                AuditEntry.actor_kind == "user",
                AuditEntry.actor_id == user_id,
            )
            .order_by(AuditEntry.id)
        )
        return [(e.action, e.target_id) for e in session.scalars(stmt)]


def test_each_console_action_leaves_an_entry_with_the_user_as_actor(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    team = Page(own.get("/console/team"))
    own.post(
        "/console/team/add",
        data={**team.form("form-add"), "email": "new@norditech.example", "role": "support"},
    )
    with unit_of_work(session_factory) as session:
        (added,) = session.scalars(
            select(AuditEntry.target_id).where(
                AuditEntry.account_id == merchant.account_id, AuditEntry.action == "user.create"
            )
        )
    assert added is not None
    team = Page(own.get("/console/team"))
    own.post(
        f"/console/team/{added}/role", data={**team.form(f"form-role-{added}"), "role": "finance"}
    )
    own.post(f"/console/team/{added}/reset", data=team.form(f"form-reset-{added}"))
    own.post(f"/console/team/{added}/remove", data=team.form(f"form-remove-{added}"))
    account = Page(own.get("/console/account"))
    new_password = "a new and longer passphrase"
    own.post(
        "/console/account/password",
        data={
            **account.form("form-password"),
            "current": PASSWORD,
            "new": new_password,
            "repeat": new_password,
        },
    )
    enrol(own, clock)
    off = Page(own.get("/console/account")).form("form-totp-off")
    own.post("/console/account/totp_off", data={**off, "password": new_password})
    me = operator.user_id
    assert actions_by(session_factory, merchant, me) == [
        ("user.create", added),
        ("user.role_change", added),
        ("user.password_reset_send", added),
        ("user.remove", added),
        ("user.password_change", me),
        ("user.totp_enable", me),
        ("user.totp_disable", me),
    ]
    # The page shows them, with the role's change before and after.
    log = Page(own.get("/console/audit-log"))
    assert "user.role_change" in log.text
    assert log.tree.xpath('//dl[@class="changes"]/dd[del="support" and ins="finance"]')
    assert operator.email in log.text


def test_a_refused_action_leaves_no_entry(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
) -> None:
    admin, operator = signed_in(client, session_factory, merchant, "admin")
    the_owner = add_user(session_factory, merchant, "owner")
    support = add_user(session_factory, merchant, "support")
    team = Page(admin.get("/console/team"))
    # An admin may not make an owner: the change and its entry roll back together.
    refused = admin.post(
        f"/console/team/{support.user_id}/role",
        data={**team.form(f"form-role-{support.user_id}"), "role": "owner"},
    )
    assert refused.status_code == 422
    wrong = admin.post(
        "/console/account/password",
        data={
            **Page(admin.get("/console/account")).form("form-password"),
            "current": "not the password",
            "new": "another long passphrase",
            "repeat": "another long passphrase",
        },
    )
    assert wrong.status_code == 422
    assert actions_by(session_factory, merchant, operator.user_id) == []
    assert the_owner


def rows(page: Page) -> int:
    return len(page.tree.xpath("//table//tbody/tr"))


def seed(factory: sessionmaker[Session], merchant: Merchant, count: int, start: int = 0) -> None:
    """`count` entries by an API key a minute apart (entry ids grow with time)."""
    key = Actor(kind="api_key", id="key_seeded", label="backend (rk_live_…a1b2)")
    with unit_of_work(factory) as session:
        for n in range(start, start + count):
            audit.record(
                session,
                Tenant(merchant.account_id, True),
                key,
                "customer.update",
                "customer",
                f"cus_{n:03d}",
                T0 + timedelta(minutes=n),
            )


def test_filters_and_pages(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    seed(session_factory, merchant, 55)
    first = Page(own.get("/console/audit-log?actor_kind=api_key"))
    assert rows(first) == 50
    assert "cus_054" in first.text
    assert "cus_004" not in first.text
    (older,) = first.tree.xpath('//a[@rel="next"]/@href')
    assert "actor_kind=api_key" in older
    second = Page(own.get(older))
    assert rows(second) == 5
    assert "cus_000" in second.text
    assert "cus_054" not in second.text
    assert not second.tree.xpath('//a[@rel="next"]')
    # One object.
    one = Page(own.get("/console/audit-log?target_type=customer&target_id=cus_007"))
    assert rows(one) == 1
    # Actions by family, by actor.
    assert rows(Page(own.get("/console/audit-log?action=user.*"))) == 0
    by_key = Page(own.get("/console/audit-log?actor=key_seeded&action=customer.*"))
    assert "Older entries" in by_key.text
    assert "No entries match" in Page(own.get(f"/console/audit-log?actor={operator.user_id}")).text
    # Days in the account's time zone (Bucharest, UTC+2 in January), both ends included.
    day = (T0 + timedelta(hours=2)).date().isoformat()
    that_day = Page(own.get(f"/console/audit-log?since={day}&until={day}"))
    assert rows(that_day) == 50
    later = (T0 + timedelta(days=1)).date().isoformat()
    assert "No entries match" in Page(own.get(f"/console/audit-log?since={later}")).text
    # Test data apart from live.
    assert "No entries match" in Page(own.get("/console/audit-log?mode=test")).text
    # Nonsense is ignored, not an error.
    odd = own.get("/console/audit-log?since=yesterday&actor_kind=robot&after=" + "x" * 300)
    assert odd.status_code == 200


@pytest.mark.parametrize(("role", "status"), [("finance", 200), ("support", 403), ("analyst", 403)])
def test_who_reads_the_log(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    role: str,
    status: int,
) -> None:
    browser, _ = signed_in(client, session_factory, merchant, role)
    assert browser.get("/console/audit-log").status_code == status
    nav = Page(browser.get("/console")).tree.xpath('//nav//a[@href="/console/audit-log"]')
    assert bool(nav) is (status == 200)


def test_console_work_runs_as_the_signed_in_user(
    session_factory: sessionmaker[Session],
) -> None:
    """Events recorded by a console action carry the user: its unit of work sets the actor."""
    user = Actor(kind="user", id="usr_1", label="ioana@example.ro")
    request = SimpleNamespace(
        state=SimpleNamespace(actor=user),
        app=SimpleNamespace(state=SimpleNamespace(session_factory=session_factory)),
    )
    with pages.unit(request):  # type: ignore[arg-type]
        assert actor.current() == user
    assert actor.current() == actor.SYSTEM
