"""Signing in to the console: email and password, the same answer for an unknown address,
a wrong password and a locked user; the lockout after five failures; sessions that end on
sign-out, when idle, after 12 hours, when the password changes or the user is removed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.console import auth
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.actor import Actor
from recura.domains.users import service as users
from tests.conftest import Merchant
from tests.console.conftest import PASSWORD, Operator, add_user, browser, sign_in
from tests.portal.conftest import Page


def test_a_user_signs_in_and_out(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    operator = add_user(session_factory, merchant, "analyst")
    own = browser(client)
    assert own.get("/console", follow_redirects=False).headers["location"] == "/console/sign-in"
    sign_in(own, operator.email.upper())  # the address's case does not matter
    cookie = next(c for c in own.cookies.jar if c.name == "recura_console")
    assert cookie.path == "/console"
    assert cookie.has_nonstandard_attr("HttpOnly")
    home = own.get("/console")
    assert home.status_code == 200
    assert "Test Merchant SRL" in home.text
    assert home.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in home.headers["content-security-policy"]
    with unit_of_work(session_factory) as session:
        user = users.get(session, merchant.account_id, operator.user_id)
        assert user is not None
        assert user.last_sign_in_at is not None
    form = Page(home).form()
    out = own.post("/console/sign-out", data=form, follow_redirects=False)
    assert out.headers["location"] == "/console/sign-in?signed_out=1"
    assert own.get("/console", follow_redirects=False).status_code == 303


def test_the_signed_in_user_is_the_requests_actor(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    operator = add_user(session_factory, merchant, "support")
    own = browser(client)
    sign_in(own, operator.email)
    cookie = own.cookies.get("recura_console", path="/console")
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/console",
        "query_string": b"",
        "headers": [(b"cookie", f"recura_console={cookie}".encode())],
        "app": client.app,
    }
    request = Request(scope)
    auth.require("metrics.read")(request)
    assert request.state.actor == Actor(kind="user", id=operator.user_id, label=operator.email)
    # A role without the permission is refused, but is still who asked.
    refused = Request({**scope, "state": {}})
    with pytest.raises(auth.Forbidden):
        auth.require("users.manage")(refused)
    assert refused.state.actor.id == operator.user_id


def test_wrong_answers_read_the_same_and_five_lock_the_user(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
) -> None:
    operator = add_user(session_factory, merchant, "finance")
    own = browser(client)
    unknown = sign_in(own, "nobody@norditech.example", status=400)
    wrong = sign_in(own, operator.email, "not the password at all", status=400)
    assert unknown is not None
    assert wrong is not None
    said = "The email address or the password is not right"
    assert said in unknown.text
    assert said in wrong.text
    for _ in range(4):
        sign_in(own, operator.email, "still not the password", status=400)
    # Locked now: even the right password gets the same answer, for 15 minutes.
    locked = sign_in(own, operator.email, PASSWORD, status=400)
    assert locked is not None
    assert said in locked.text
    clock.advance(timedelta(minutes=14))
    sign_in(own, operator.email, PASSWORD, status=400)
    clock.advance(timedelta(minutes=2))
    sign_in(own, operator.email, PASSWORD)
    assert own.get("/console").status_code == 200


def test_sign_in_is_rate_limited_per_email(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    own = browser(client)
    for _ in range(10):
        sign_in(own, "guess@norditech.example", "guessing guessing", status=400)
    page = sign_in(own, "guess@norditech.example", "guessing guessing", status=429)
    assert page is not None
    assert "Too many attempts" in page.text


def test_a_post_without_the_form_key_is_refused(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    operator = add_user(session_factory, merchant, "owner")
    own = browser(client)
    response = own.post("/console/sign-in", data={"email": operator.email, "password": PASSWORD})
    assert response.status_code == 403
    assert own.cookies.get("recura_console", path="/console") is None


def test_sessions_end_when_idle_and_after_twelve_hours(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
) -> None:
    operator = add_user(session_factory, merchant, "analyst")
    own = browser(client)
    sign_in(own, operator.email)
    clock.advance(timedelta(minutes=29))
    assert own.get("/console").status_code == 200
    clock.advance(timedelta(minutes=30))
    assert own.get("/console", follow_redirects=False).status_code == 303
    sign_in(own, operator.email)
    elapsed = timedelta(0)
    while own.get("/console", follow_redirects=False).status_code == 200:
        clock.advance(timedelta(minutes=29))
        elapsed += timedelta(minutes=29)
        assert elapsed < timedelta(hours=13)
    # Kept alive by use, the session still ends 12 hours after it opened.
    assert timedelta(hours=12) <= elapsed < timedelta(hours=12, minutes=29)


def test_removing_a_user_or_changing_their_password_signs_them_out(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    for action in ("password", "remove"):
        operator = add_user(session_factory, merchant, "support")
        elsewhere = browser(client)
        sign_in(elsewhere, operator.email)
        assert elsewhere.get("/console").status_code == 200
        if action == "password":
            with unit_of_work(session_factory) as session:
                user = users.get(session, merchant.account_id, operator.user_id)
                assert user is not None
                users.set_password(session, user, "a brand new passphrase", clock_now(client))
        else:
            browser_, _ = owner
            team = Page(browser_.get("/console/team"))
            form = team.form(f"form-remove-{operator.user_id}")
            done = browser_.post(
                f"/console/team/{operator.user_id}/remove", data=form, follow_redirects=False
            )
            assert done.status_code == 303
        assert elsewhere.get("/console", follow_redirects=False).status_code == 303, action


def clock_now(client: TestClient) -> datetime:
    now: datetime = client.app.state.clock.now()  # type: ignore[attr-defined]
    return now


def test_behind_https_the_cookie_is_secure(
    settings: Settings,
    clock: FixedClock,
    engine: Engine,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
) -> None:
    operator = add_user(session_factory, merchant, "owner")
    secure = settings.model_copy(update={"public_url": "https://billing.example.ro"})
    own = TestClient(create_app(secure, clock=clock, engine=engine), base_url="https://testserver")
    sign_in(own, operator.email)
    cookie = next(c for c in own.cookies.jar if c.name == "recura_console")
    assert cookie.secure
    assert own.get("/console").status_code == 200
