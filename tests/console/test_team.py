"""The Team page: everyone sees who is on the team; owners and admins change roles and
remove users, an admin never touches an owner, and a refused action says why in the
operator's language."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.users import service as users
from tests.conftest import Merchant
from tests.console.conftest import Operator, add_user, signed_in
from tests.portal.conftest import Page


def role_of(factory: sessionmaker[Session], merchant: Merchant, user_id: str) -> str | None:
    with unit_of_work(factory) as session:
        found = users.get(session, merchant.account_id, user_id)
        return found.role if found else None


def test_an_owner_changes_a_role_and_an_analyst_only_looks(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    analyst_browser, analyst = signed_in(client, session_factory, merchant, "analyst")
    page = Page(own.get("/console/team"))
    form = page.form(f"form-role-{analyst.user_id}")
    done = own.post(
        f"/console/team/{analyst.user_id}/role",
        data={**form, "role": "finance"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/console/team?done=role_changed"
    assert role_of(session_factory, merchant, analyst.user_id) == "finance"
    # The former analyst, now finance, sees the list but no action.
    seen = Page(analyst_browser.get("/console/team"))
    assert analyst.email in seen.text
    assert not seen.tree.xpath("//form[starts-with(@id, 'form-role-')]")
    assert not seen.tree.xpath("//form[@id='form-add']")


def test_an_admin_cannot_touch_an_owner_nor_make_one(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    the_owner = add_user(session_factory, merchant, "owner")
    admin_browser, _ = signed_in(client, session_factory, merchant, "admin")
    support = add_user(session_factory, merchant, "support")
    page = Page(admin_browser.get("/console/team"))
    assert not page.tree.xpath(f"//form[@id='form-remove-{the_owner.user_id}']")
    assert "owner" not in [
        o.get("value") for o in page.tree.xpath("//select[@id='new-role']/option")
    ]
    form = page.form(f"form-role-{support.user_id}")
    refused = admin_browser.post(
        f"/console/team/{support.user_id}/role", data={**form, "role": "owner"}
    )
    assert refused.status_code == 422
    assert "Your role may not do that." in Page(refused).text
    assert role_of(session_factory, merchant, support.user_id) == "support"
    # A form made for one user does not act on another.
    stolen = admin_browser.post(f"/console/team/{the_owner.user_id}/remove", data=form)
    assert stolen.status_code == 403
    assert role_of(session_factory, merchant, the_owner.user_id) == "owner"


def test_another_accounts_user_is_out_of_reach(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    from tests.conftest import make_merchant

    other = make_merchant(session_factory, client, "Other SRL")
    stranger = add_user(session_factory, other, "analyst")
    own, _ = owner
    team = Page(own.get("/console/team"))
    assert stranger.email not in team.text
    # A key for that id cannot be had from the page; even a well-formed post finds nobody.
    from recura.web import csrf

    binding = own.cookies.get("recura_console", path="/console").split(".")[1]
    key = csrf.form_key(client.app.state.secret, binding, f"team_remove_{stranger.user_id}")  # type: ignore[attr-defined]
    refused = own.post(f"/console/team/{stranger.user_id}/remove", data={"form_key": key})
    assert refused.status_code == 422
    assert role_of(session_factory, other, stranger.user_id) == "analyst"
