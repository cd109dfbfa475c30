"""GET /v1/email_messages: the recorded emails, newest first, filtered and paged, each
saying whether it went and, if not, why."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0, Api, Merchant
from tests.notifications.mailbox import Mailbox
from tests.notifications.test_email_delivery import address, recorded, subscribe, write_rows
from tests.own_database import database_url, engine, session_factory

from recura.clock import FixedClock
from recura.jobs.worker import run_once
from recura.notifications.smtp import MAX_AGE, Mailer

# Each test a database of its own: the worker it runs sends only that test's emails.
__all__ = ["database_url", "engine", "session_factory"]


def listed(api: Api, **params: str | int) -> list[dict[str, object]]:
    found: list[dict[str, object]] = api.ok("GET", "/v1/email_messages", params=params)["data"]
    return found


def test_emails_are_listed_newest_first_and_filtered(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    first = subscribe(api, address(), "ro")
    second = subscribe(api, None, "en")  # no address: recorded all the same
    write_rows(session_factory)

    everything = listed(api, limit=100)
    assert len(everything) == 4
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True)
    assert {e["customer"] for e in everything} == {first, second}
    assert {e["status"] for e in everything} == {"pending"}

    mine = listed(api, customer=first)
    assert sorted(e["template"] for e in mine) == ["receipt", "welcome"]
    receipts = listed(api, template="receipt")
    assert {e["customer"] for e in receipts} == {first, second}
    event = str(receipts[0]["event"])
    assert [e["id"] for e in listed(api, event=event)] == [receipts[0]["id"]]
    assert listed(api, status="sent") == []
    assert len(listed(api, status="pending")) == 4

    page = api.ok("GET", "/v1/email_messages", params={"limit": 3})
    assert page["has_more"] is True
    rest = api.ok(
        "GET", "/v1/email_messages", params={"limit": 3, "starting_after": page["data"][-1]["id"]}
    )
    assert rest["has_more"] is False
    assert [e["id"] for e in page["data"] + rest["data"]] == ids


def test_an_email_shows_what_was_sent_and_what_was_not(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    to = address()
    sent_to = subscribe(api, to, "ro")
    nobody = subscribe(api, None, "ro")
    write_rows(session_factory)
    run_once(session_factory, FixedClock(T0 + timedelta(minutes=1)), mailer)

    (welcome,) = listed(api, customer=sent_to, template="welcome")
    assert welcome == api.ok("GET", f"/v1/email_messages/{welcome['id']}")
    assert welcome["object"] == "email_message"
    assert welcome["status"] == "sent"
    assert welcome["to"] == to
    assert welcome["locale"] == "ro"
    assert welcome["attempts"] == 1
    assert welcome["last_error"] is None
    assert welcome["subject"]
    assert welcome["message_id"] == f"<{welcome['event']}.welcome@recura>"
    assert welcome["sent_at"] == "2026-01-15T09:31:00Z"
    assert welcome["livemode"] is False
    assert str(mailbox.of("welcome", to)[0].message["Message-ID"]) == welcome["message_id"]

    (unaddressed,) = listed(api, customer=nobody, template="welcome")
    assert unaddressed["status"] == "skipped"
    assert unaddressed["to"] is None
    assert unaddressed["last_error"] == "the customer has no email address"
    assert unaddressed["sent_at"] is None


def test_an_email_too_old_to_send_says_so(api: Api, session_factory: sessionmaker[Session]) -> None:
    _, customer = recorded(api, session_factory)
    run_once(session_factory, FixedClock(T0 + MAX_AGE + timedelta(hours=1)))
    found = listed(api, customer=customer, status="skipped")
    assert len(found) == 2
    for item in found:
        assert (
            item["last_error"] == "too old to send: due since 2026-01-15T09:30:00Z, over 24 h ago"
        )


def test_unknown_ids_and_filters_are_problems(api: Api, merchant: Merchant) -> None:
    response = api.get("/v1/email_messages/em_nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    for params in ({"status": "lost"}, {"template": "newsletter"}, {"limit": 0}):
        response = api.get("/v1/email_messages", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
