"""The emails of a support request, sent through a real SMTP server: the support address
hears of a new request and of each subscriber reply, in the account's language and with
the subscriber as Reply-To; the subscriber gets a confirmation and each of the merchant's
replies in their own language; without any support address, the notice is skipped and
says why."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.support_requests import service as support
from recura.jobs.worker import run_once
from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api, Merchant
from tests.factories import open_support_request
from tests.notifications.mailbox import Mailbox, Received

SENDER = {"email_from_name": "Norditech", "email_from_address": "facturare@norditech.ro"}


def deliver(factory: sessionmaker[Session], mailer: Mailer) -> None:
    """Dispatch the events, then send what they call for."""
    for _ in range(2):
        run_once(factory, FixedClock(T0), mailer)


def plain(received: Received) -> str:
    """The text part with the line ends it was written with (SMTP sends CRLF)."""
    return received.part("plain").replace("\r\n", "\n")


def subscriber(api: Api, locale: str | None) -> tuple[str, str]:
    to = f"ana-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": to, "name": "Ana Popescu", "locale": locale}
    found: str = api.ok("POST", "/v1/customers", 201, json=body)["id"]
    return found, to


def test_a_conversation_reaches_each_side_in_its_language(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    support_address = "ajutor@norditech.ro"
    account = {**SENDER, "email_reply_to": "suport@norditech.ro", "support_email": support_address}
    api.ok("PATCH", "/v1/account", json=account)  # a Romanian account (locale ro)
    customer, to = subscriber(api, "en")
    request_id = open_support_request(
        session_factory,
        merchant.account_id,
        customer,
        subject="Charged twice",
        message="I was charged twice in February.\nCould you check?",
    )
    deliver(session_factory, mailer)

    [notice] = mailbox.of("support_notice")
    assert notice.rcpt_tos == [support_address]
    assert notice.message["Reply-To"] == to  # answering the email answers the subscriber
    assert notice.message["Content-Language"] == "ro"
    assert notice.message["Subject"] == "Solicitare nouă de asistență: Charged twice"
    text = plain(notice)
    assert f"Ana Popescu ({to}) a trimis o solicitare" in text
    assert "„Facturare și plăți”" in text
    assert "I was charged twice in February.\nCould you check?" in text
    assert request_id in text
    assert "white-space:pre-wrap" in notice.part("html")

    [confirmation] = mailbox.of("support_confirmation")
    assert confirmation.rcpt_tos == [to]
    assert confirmation.message["Content-Language"] == "en"
    assert confirmation.message["Reply-To"] == support_address
    assert confirmation.message["Subject"] == "We received your request: Charged twice"
    assert "Hello Ana Popescu," in plain(confirmation)
    assert "I was charged twice in February." in plain(confirmation)
    assert f"write to {support_address}." in plain(confirmation)

    reply = "Hello Ana,\n\nThe second charge was refunded today."
    api.ok("POST", f"/v1/support_requests/{request_id}/reply", json={"body": reply})
    with unit_of_work(session_factory) as session:
        support.customer_reply(
            session, Tenant(merchant.account_id, False), customer, request_id, "Thanks <3", T0
        )
    api.ok("POST", f"/v1/support_requests/{request_id}/close")
    deliver(session_factory, mailer)

    [answer] = mailbox.of("support_reply")
    assert answer.rcpt_tos == [to]
    assert answer.message["Content-Language"] == "en"
    assert answer.message["Subject"] == "New reply to your request: Charged twice"
    assert reply in plain(answer)
    assert "Norditech replied to your request “Charged twice”" in plain(answer)
    [follow_up] = mailbox.of("support_follow_up")
    assert follow_up.rcpt_tos == [support_address]
    assert follow_up.message["Reply-To"] == to
    assert follow_up.message["Subject"] == "Răspuns nou de la abonat: Charged twice"
    assert "Thanks &lt;3" in follow_up.part("html")  # the subscriber's words, escaped
    assert "Thanks <3" in plain(follow_up)
    # Closing sends nothing; each email went once.
    assert sorted(mailbox.templates()) == [
        "support_confirmation",
        "support_follow_up",
        "support_notice",
        "support_reply",
    ]


@pytest.mark.parametrize(
    ("sender_settings", "expected"),
    [
        ({"email_reply_to": "suport@norditech.ro"}, "suport@norditech.ro"),
        ({}, "facturare@norditech.ro"),
    ],
)
def test_without_a_support_email_the_notice_goes_to_the_reply_address_then_the_sender(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
    sender_settings: dict[str, str],
    expected: str,
) -> None:
    api.ok("PATCH", "/v1/account", json={**SENDER, **sender_settings})
    customer, _ = subscriber(api, None)
    open_support_request(session_factory, merchant.account_id, customer)
    deliver(session_factory, mailer)
    [notice] = mailbox.of("support_notice")
    assert notice.rcpt_tos == [expected]
    # A customer without a language reads the account's, as the notice does.
    assert mailbox.of("support_confirmation")[0].message["Content-Language"] == "ro"


def test_an_account_without_any_address_skips_the_notice_and_says_why(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], mailer: Mailer
) -> None:
    customer, to = subscriber(api, "ro")
    open_support_request(session_factory, merchant.account_id, customer)
    deliver(session_factory, mailer)
    found = api.ok("GET", "/v1/email_messages", params={"customer": customer})["data"]
    by_template = {e["template"]: e for e in found}
    assert by_template["support_notice"]["status"] == "skipped"
    assert "no support address" in by_template["support_notice"]["last_error"]
    assert by_template["support_notice"]["locale"] == "ro"
    assert by_template["support_confirmation"]["status"] == "sent"
    assert by_template["support_confirmation"]["to"] == to
