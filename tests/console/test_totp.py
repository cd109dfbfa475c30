"""Two-step sign-in: enrolling shows a QR code made by the app and the secret once,
confirmed by a code; from then on signing in asks for the current code after the password,
wrong codes count towards the lockout, and turning it off takes the password."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import User
from recura.db.unit_of_work import unit_of_work
from tests.conftest import Merchant
from tests.console.conftest import PASSWORD, Operator, add_user, browser, sign_in
from tests.portal.conftest import Page


def enrol(own: TestClient, clock: FixedClock) -> str:
    """Turn TOTP on from My account; the secret as the page showed it."""
    page = Page(own.get("/console/account"))
    started = own.post("/console/account/totp_start", data=page.form("form-totp-start"))
    enrolment = Page(started)
    (img,) = enrolment.tree.xpath('//img[@class="qr"]')
    assert img.get("src").startswith("data:image/svg+xml")
    assert img.get("alt")
    secret = "".join(enrolment.tree.xpath('//code[@class="secret"]')[0].text_content().split())
    wrong = own.post(
        "/console/account/totp_confirm",
        data={**enrolment.form("form-totp-confirm"), "code": "000000"},
    )
    assert wrong.status_code == 422
    code = pyotp.TOTP(secret).at(clock.now())
    done = own.post(
        "/console/account/totp_confirm",
        data={**enrolment.form("form-totp-confirm"), "code": code},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/console/account?done=totp_on"
    return secret


def test_enrolling_then_signing_in_with_a_code(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    secret = enrol(own, clock)
    account = Page(own.get("/console/account"))
    # Never shown again, and kept encrypted.
    assert secret not in account.response.text
    assert not account.tree.xpath('//code[@class="secret"]')
    with unit_of_work(session_factory) as session:
        stored = session.scalar(select(User.totp_secret).where(User.id == operator.user_id))
    assert stored
    assert secret not in stored

    other = browser(client)
    sign_in(other, operator.email)
    # The password alone opens nothing.
    assert other.get("/console", follow_redirects=False).headers["location"] == "/console/sign-in"
    step = Page(other.get("/console/sign-in/code"))
    refused = other.post("/console/sign-in/code", data={**step.form(), "code": "123456"})
    assert refused.status_code == 400
    # The code that confirmed the enrolment is spent; the next step's code opens.
    spent = pyotp.TOTP(secret).at(clock.now())
    reused = other.post("/console/sign-in/code", data={**step.form(), "code": spent})
    assert reused.status_code == 400
    clock.advance(timedelta(seconds=30))
    code = pyotp.TOTP(secret).at(clock.now())
    done = other.post(
        "/console/sign-in/code", data={**step.form(), "code": code}, follow_redirects=False
    )
    assert done.headers["location"] == "/console"
    assert other.get("/console").status_code == 200
    # The code step's cookie is gone with the step.
    assert other.cookies.get("recura_console_code", path="/console") is None


def test_wrong_codes_lock_the_user(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    secret = enrol(own, clock)
    other = browser(client)
    sign_in(other, operator.email)
    step = Page(other.get("/console/sign-in/code"))
    for _ in range(5):
        other.post("/console/sign-in/code", data={**step.form(), "code": "000000"})
    code = pyotp.TOTP(secret).at(clock.now())
    again = other.post(
        "/console/sign-in/code", data={**step.form(), "code": code}, follow_redirects=False
    )
    assert again.status_code in (303, 400)
    assert other.get("/console", follow_redirects=False).status_code == 303
    # Locked: the password step answers as for a wrong password.
    sign_in(browser(client), operator.email, PASSWORD, status=400)
    clock.advance(timedelta(minutes=16))
    sign_in(browser(client), operator.email, PASSWORD)


def test_the_code_step_expires(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    secret = enrol(own, clock)
    other = browser(client)
    sign_in(other, operator.email)
    step = Page(other.get("/console/sign-in/code"))
    clock.advance(timedelta(minutes=6))
    code = pyotp.TOTP(secret).at(clock.now())
    late = other.post(
        "/console/sign-in/code", data={**step.form(), "code": code}, follow_redirects=False
    )
    assert late.headers["location"] == "/console/sign-in"


def test_turning_it_off_takes_the_password(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    enrol(own, clock)
    page = Page(own.get("/console/account"))
    wrong = own.post(
        "/console/account/totp_off",
        data={**page.form("form-totp-off"), "password": "nope nope nope"},
    )
    assert wrong.status_code == 422
    assert "The current password is not right" in Page(wrong).text
    own.post("/console/account/totp_off", data={**page.form("form-totp-off"), "password": PASSWORD})
    sign_in(browser(client), operator.email)
    assert re.search("Set up two-step sign-in", Page(own.get("/console/account")).text)


def test_a_user_who_never_enrolled_has_no_code_step(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    operator = add_user(session_factory, merchant, "analyst")
    own = browser(client)
    assert own.get("/console/sign-in/code", follow_redirects=False).status_code == 303
    sign_in(own, operator.email)
    assert own.get("/console").status_code == 200
