"""My account: changing the password keeps this session and ends the others; the
operator's own language wins over the browser's, which wins over the account's."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Merchant
from tests.console.conftest import PASSWORD, Operator, add_user, browser, sign_in
from tests.portal.conftest import Page

NEW = "another good passphrase"


def test_changing_the_password_signs_out_the_other_sessions(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    elsewhere = browser(client)
    sign_in(elsewhere, operator.email)
    page = Page(own.get("/console/account"))
    form = page.form("form-password")
    mismatch = own.post(
        "/console/account/password",
        data={**form, "current": PASSWORD, "new": NEW, "repeat": NEW + "!"},
    )
    assert mismatch.status_code == 422
    assert "The two passwords differ." in Page(mismatch).text
    wrong = own.post(
        "/console/account/password",
        data={**form, "current": "not mine at all", "new": NEW, "repeat": NEW},
    )
    assert wrong.status_code == 422
    done = own.post(
        "/console/account/password",
        data={**form, "current": PASSWORD, "new": NEW, "repeat": NEW},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/console/account?done=password"
    assert own.get("/console").status_code == 200
    assert elsewhere.get("/console", follow_redirects=False).status_code == 303
    sign_in(browser(client), operator.email, PASSWORD, status=400)
    sign_in(browser(client), operator.email, NEW)


def test_the_operators_language_then_the_browsers_then_the_accounts(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    operator = add_user(session_factory, merchant, "analyst", locale=None)
    own = browser(client)
    sign_in(own, operator.email)
    # The account writes Romanian; no browser preference.
    assert "Acasă" in Page(own.get("/console")).text
    english = {"Accept-Language": "en-GB,en;q=0.8"}
    assert "Welcome" in Page(own.get("/console", headers=english)).text
    page = Page(own.get("/console/account"))
    saved = own.post(
        "/console/account/language", data={**page.form("form-language"), "language": "ro"}
    )
    assert saved.status_code == 200
    assert "Bun venit" in Page(own.get("/console", headers=english)).text
