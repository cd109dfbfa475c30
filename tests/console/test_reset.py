"""A forgotten password: the same answer whether or not the address is known, an email
(in the user's language, through the outbox and SMTP) whose link works once within 30
minutes, and choosing the new password signs the user out everywhere."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import EmailMessage
from recura.db.unit_of_work import unit_of_work
from recura.jobs.worker import run_once
from recura.notifications.smtp import Mailer
from tests.conftest import Merchant
from tests.console.conftest import Operator, add_user, browser, sign_in
from tests.notifications.mailbox import PUBLIC_URL, Mailbox
from tests.own_database import database_url, engine, session_factory
from tests.portal.conftest import Page

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]

NEW = "a completely new passphrase"


def ask(client: TestClient, email: str, status: int = 200) -> Page:
    form = Page(client.get("/console/reset-password")).form()
    response = client.post("/console/reset-password", data={**form, "email": email})
    assert response.status_code == status, response.text
    return Page(response)


def emailed_link(
    factory: sessionmaker[Session], clock: FixedClock, mailer: Mailer, mailbox: Mailbox, to: str
) -> str:
    run_once(factory, clock, mailer)
    (received,) = mailbox.of("password_reset", to)
    found = re.search(
        re.escape(PUBLIC_URL) + r"(/console/reset-password/\S+)", received.part("plain")
    )
    assert found is not None, received.part("plain")
    return found.group(1)


def choose(client: TestClient, path: str, password: str = NEW, status: int = 303) -> Page:
    page = Page(client.get(path))
    response = client.post(
        path, data={**page.form(), "password": password, "repeat": password}, follow_redirects=False
    )
    assert response.status_code == status, response.text
    return Page(response) if status != 303 else page


def test_a_reset_link_works_once_and_signs_the_user_out_elsewhere(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    operator = add_user(session_factory, merchant, "finance", locale="ro")
    elsewhere = browser(client)
    sign_in(elsewhere, operator.email)
    own = browser(client)
    known = ask(own, operator.email.upper())
    unknown = ask(own, "nobody@norditech.example")
    assert known.text.replace(operator.email.upper(), "X") == unknown.text.replace(
        "nobody@norditech.example", "X"
    )
    path = emailed_link(session_factory, clock, mailer, mailbox, operator.email)
    (received,) = mailbox.of("password_reset", operator.email)
    assert "Resetați parola" in str(received.message["Subject"])  # the user's language
    # The email log keeps no copy of a link that signs someone in.
    with unit_of_work(session_factory) as session:
        row = session.scalar(select(EmailMessage).where(EmailMessage.to_address == operator.email))
        assert row is not None
        assert row.status == "sent"
        assert row.text is None
        assert row.html is None
    too_short = choose(own, path, "short", status=422)
    assert "at least 12 characters" in too_short.text
    choose(own, path)
    assert own.get(path).status_code == 410  # once
    assert elsewhere.get("/console", follow_redirects=False).status_code == 303
    sign_in(own, operator.email, NEW)
    assert own.get("/console").status_code == 200


def test_a_link_expires_after_30_minutes_and_a_newer_one_replaces_it(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    operator = add_user(session_factory, merchant, "support")
    own = browser(client)
    ask(own, operator.email)
    first = emailed_link(session_factory, clock, mailer, mailbox, operator.email)
    clock.advance(timedelta(minutes=31))
    assert own.get(first).status_code == 410
    ask(own, operator.email)
    run_once(session_factory, clock, mailer)
    second = re.search(
        r"(/console/reset-password/\S+)",
        mailbox.of("password_reset", operator.email)[-1].part("plain"),
    )
    assert second is not None
    ask(own, operator.email)  # a third: the second no longer works
    assert own.get(second.group(1)).status_code == 410


def test_reset_requests_are_rate_limited_per_email(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    own = browser(client)
    for _ in range(5):
        ask(own, "someone@norditech.example")
    assert "Too many attempts" in ask(own, "someone@norditech.example", status=429).text


def test_an_owner_sends_a_reset_and_adds_a_user_who_chooses_a_password(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    mailer: Mailer,
    mailbox: Mailbox,
    owner: tuple[TestClient, Operator],
    client: TestClient,
) -> None:
    own, _ = owner
    team = Page(own.get("/console/team"))
    added = own.post(
        "/console/team/add",
        data={
            **team.form("form-add"),
            "email": "New.Person@Norditech.example",
            "name": "New Person",
            "role": "analyst",
        },
        follow_redirects=False,
    )
    assert added.headers["location"] == "/console/team?done=added"
    path = emailed_link(session_factory, clock, mailer, mailbox, "new.person@norditech.example")
    choose(browser(client), path)
    newcomer = browser(client)
    sign_in(newcomer, "new.person@norditech.example", NEW)
    # No language of their own, no browser preference: the account's, Romanian.
    assert "Analist" in Page(newcomer.get("/console")).text
