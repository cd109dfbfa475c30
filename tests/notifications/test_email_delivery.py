"""Emails leave through a real SMTP server on loopback: once per (event, email), as text
and HTML in the customer's language, retried after a temporary refusal, given up after a
permanent one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import EmailMessage, Event
from recura.db.unit_of_work import unit_of_work
from recura.jobs.worker import run_once
from recura.notifications import emails, links
from recura.notifications.smtp import Mailer
from tests.conftest import SECRET, T0, Api
from tests.notifications.mailbox import Mailbox


def address() -> str:
    return f"client-{uuid.uuid4().hex[:10]}@example.ro"


def subscribe(api: Api, to: str | None, locale: str | None, amount: int = 4900) -> str:
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    plan = api.ok(
        "POST",
        "/v1/plans",
        201,
        json={
            "product": product,
            "code": f"pro-{uuid.uuid4().hex[:6]}",
            "name": "Pro",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": amount}],
        },
    )["id"]
    body = {"name": "Ana Popescu", "email": to, "locale": locale}
    customer = api.ok("POST", "/v1/customers", 201, json=body)["id"]
    api.ok(
        "POST",
        f"/v1/customers/{customer}/payment_methods",
        201,
        json={"gateway": "sandbox", "token": "tok_sandbox_visa"},
    )
    api.ok("POST", "/v1/subscriptions", 201, json={"customer": customer, "plan": plan})
    return customer


def write_rows(factory: sessionmaker[Session]) -> None:
    """Charge the first invoice, then dispatch every event: the email rows exist, unsent."""
    run_once(factory, FixedClock(T0))
    run_once(factory, FixedClock(T0))


def recorded(api: Api, factory: sessionmaker[Session]) -> tuple[str, str]:
    """A new subscriber's address and id, with its welcome and receipt recorded, unsent."""
    to = address()
    customer = subscribe(api, to, "ro")
    write_rows(factory)
    return to, customer


def rows(factory: sessionmaker[Session], customer: str) -> list[EmailMessage]:
    with unit_of_work(factory) as session:
        stmt = select(EmailMessage).where(EmailMessage.customer_id == customer)
        found = list(session.scalars(stmt.order_by(EmailMessage.id)))
        session.expunge_all()
        return found


@pytest.mark.parametrize(
    ("locale", "amount", "greeting", "language"),
    [
        ("ro", "49,00\xa0RON", "Bună ziua, Ana Popescu,", "ro"),
        ("en-GB", "RON\xa049.00", "Hello Ana Popescu,", "en"),
        (None, "49,00\xa0RON", "Bună ziua, Ana Popescu,", "ro"),  # the account's locale
    ],
)
def test_welcome_and_receipt_arrive_once_in_the_customers_language(
    api: Api,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
    locale: str | None,
    amount: str,
    greeting: str,
    language: str,
) -> None:
    api.ok(
        "PATCH",
        "/v1/account",
        json={
            "email_from_name": "Norditech",
            "email_from_address": "facturare@norditech.ro",
            "email_reply_to": "suport@norditech.ro",
        },
    )
    to = address()
    customer = subscribe(api, to, locale)
    write_rows(session_factory)
    run_once(session_factory, FixedClock(T0), mailer)
    run_once(session_factory, FixedClock(T0 + timedelta(minutes=1)), mailer)

    assert sorted(mailbox.templates(to)) == ["receipt", "welcome"]
    for received in mailbox.of("welcome", to) + mailbox.of("receipt", to):
        message = received.message
        assert message["From"] == "Norditech <facturare@norditech.ro>"
        assert received.mail_from == "facturare@norditech.ro"
        assert message["Reply-To"] == "suport@norditech.ro"
        assert message["To"] == f"Ana Popescu <{to}>"
        assert message["Content-Language"] == language
        # The receipt carries its invoice's PDF beside the text and HTML.
        mixed = received.template == "receipt"
        assert message.get_content_type() == (
            "multipart/mixed" if mixed else "multipart/alternative"
        )
        assert message["Date"] is not None
        assert "List-Unsubscribe" not in message  # billing emails, not marketing
        text, html = received.part("plain"), received.part("html")
        assert greeting in text
        assert f'<html lang="{language}">' in html
        assert "{" not in text  # nothing left unfilled
    receipt = mailbox.of("receipt", to)[0]
    assert amount in receipt.part("plain")
    assert amount in receipt.part("html")
    stored = rows(session_factory, customer)
    assert {r.template: r.status for r in stored} == {"welcome": "sent", "receipt": "sent"}
    for row in stored:
        assert row.attempts == 1
        assert row.message_id == f"<{row.event_id}.{row.template}@recura>"
        assert str(mailbox.of(row.template, to)[0].message["Message-ID"]) == row.message_id


def test_dispatching_an_event_again_writes_its_emails_once(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    customer = subscribe(api, address(), "ro")
    write_rows(session_factory)
    assert sorted(r.template for r in rows(session_factory, customer)) == ["receipt", "welcome"]
    with unit_of_work(session_factory) as session:
        stmt = select(Event).where(Event.data["customer"].as_string() == customer)
        events = list(session.scalars(stmt))
        emails.fan_out(session, events, T0)
        emails.fan_out(session, events, T0)
    assert sorted(r.template for r in rows(session_factory, customer)) == ["receipt", "welcome"]


def test_a_temporary_refusal_is_retried_and_the_email_sent_once(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    to = address()
    customer = subscribe(api, to, "ro")
    write_rows(session_factory)
    mailbox.refuse[to] = ["451 4.3.0 Mailbox busy, try later", "452 4.2.2 Mailbox full"]
    run_once(session_factory, FixedClock(T0), mailer)
    assert mailbox.templates(to) == []
    stored = rows(session_factory, customer)
    assert {r.status for r in stored} == {"pending"}
    assert all(r.attempts == 1 and (r.last_error or "").startswith("45") for r in stored)
    # Not before the back-off...
    run_once(session_factory, FixedClock(T0 + timedelta(seconds=30)), mailer)
    assert mailbox.templates(to) == []
    # ...then once.
    run_once(session_factory, FixedClock(T0 + timedelta(minutes=2)), mailer)
    run_once(session_factory, FixedClock(T0 + timedelta(hours=2)), mailer)
    assert sorted(mailbox.templates(to)) == ["receipt", "welcome"]
    assert {(r.status, r.attempts) for r in rows(session_factory, customer)} == {("sent", 2)}


def test_a_permanent_refusal_fails_the_email_without_retrying(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    to = address()
    customer = subscribe(api, to, "en")
    write_rows(session_factory)
    mailbox.refuse[to] = ["550 5.1.1 No such user", "550 5.1.1 No such user"]
    run_once(session_factory, FixedClock(T0), mailer)
    run_once(session_factory, FixedClock(T0 + timedelta(days=1)), mailer)
    assert mailbox.templates(to) == []
    stored = rows(session_factory, customer)
    assert {(r.status, r.attempts) for r in stored} == {("failed", 1)}
    assert all("550" in (r.last_error or "") for r in stored)


def test_an_unreachable_server_is_a_temporary_failure(
    api: Api, session_factory: sessionmaker[Session], mailer: Mailer, mailbox: Mailbox
) -> None:
    customer = subscribe(api, address(), "ro")
    write_rows(session_factory)
    down = Mailer(
        smtp=type(mailer.smtp)("127.0.0.1", 9, timeout=2),  # type: ignore[misc]
        secret=SECRET.encode(),
    )
    run_once(session_factory, FixedClock(T0), down)
    stored = rows(session_factory, customer)
    assert {(r.status, r.attempts) for r in stored} == {("pending", 1)}


def test_no_address_no_email(
    api: Api, session_factory: sessionmaker[Session], mailer: Mailer
) -> None:
    customer = subscribe(api, None, "ro")
    write_rows(session_factory)
    run_once(session_factory, FixedClock(T0), mailer)
    assert {r.status for r in rows(session_factory, customer)} == {"skipped"}


def test_links_verify_for_their_purpose_only() -> None:
    secret = SECRET.encode()
    token = links.sign(secret, "unsubscribe", "acct_1", False, "cus_1", "sub_1", T0)
    claims = links.verify(secret, token, "unsubscribe", T0 + timedelta(days=300))
    assert (claims.account_id, claims.livemode, claims.customer_id, claims.object_id) == (
        "acct_1",
        False,
        "cus_1",
        "sub_1",
    )
    for bad, purpose, at in [
        (token, "reactivate", T0),  # another purpose
        (token, "unsubscribe", T0 + timedelta(days=400)),  # expired
        (token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], "unsubscribe", T0),
        (
            links.sign(b"another secret" * 4, "unsubscribe", "a", False, "c", None, T0),
            "unsubscribe",
            T0,
        ),
        ("garbage", "unsubscribe", T0),
    ]:
        with pytest.raises(links.InvalidToken):
            links.verify(secret, bad, purpose, at)  # type: ignore[arg-type]


def test_an_email_that_cannot_be_rendered_fails_and_the_rest_of_its_batch_goes(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    # A batch prepares its emails together; when one cannot be rendered, they are
    # prepared one by one and only that one fails.
    first, second = address(), address()
    subscribe(api, first, "ro")
    broken = subscribe(api, second, "ro")
    write_rows(session_factory)
    with unit_of_work(session_factory) as session:
        receipt = session.scalars(
            select(EmailMessage).where(
                EmailMessage.customer_id == broken, EmailMessage.template == "receipt"
            )
        ).one()
        receipt.context = {**receipt.context, "amount": "not an amount"}
    run_once(session_factory, FixedClock(T0), mailer)
    assert sorted(mailbox.templates(first)) == ["receipt", "welcome"]
    assert mailbox.templates(second) == ["welcome"]
    stored = {r.template: r for r in rows(session_factory, broken)}
    assert stored["welcome"].status == "sent"
    assert stored["receipt"].status == "failed"
    assert (stored["receipt"].last_error or "").startswith("could not render: ")
