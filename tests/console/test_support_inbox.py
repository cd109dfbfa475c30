"""The support inbox: the requests by status, a request's thread with how long the first
answer took, replying (the request answered, its first response timed, the audit entry) and
closing it; a closed request takes no answer, and roles without `support.write` only read."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.console.support import duration
from recura.db.models import AuditEntry, SupportRequest
from tests.conftest import Api, Merchant
from tests.console.conftest import Operator, signed_in
from tests.console.operations_data import support_request
from tests.portal.conftest import Page

BASE = "/console/support"


def shown(browser: TestClient, path: str, expect: int = 200) -> Page:
    response = browser.get(path)
    assert response.status_code == expect, response.text
    return Page(response)


def entries(factory: sessionmaker[Session], merchant: Merchant, action: str) -> list[AuditEntry]:
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.account_id == merchant.account_id, AuditEntry.action == action
                )
            )
        )


def test_the_first_response_time_as_people_say_it() -> None:
    assert duration(None, "en") == "not answered yet"
    assert duration(timedelta(seconds=30), "en") == "under a minute"
    assert duration(timedelta(minutes=42), "en") == "42 min"
    assert duration(timedelta(hours=3, minutes=20), "en") == "3 h 20 min"
    assert duration(timedelta(days=2, hours=4, minutes=59), "ro") == "2 z 4 h"


def test_reply_then_close(
    owner: tuple[TestClient, Operator],
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    browser, operator = owner
    request_id = support_request(session_factory, merchant, api)
    inbox = shown(browser, BASE + "?mode=test")
    assert "Plată dublă în februarie" in inbox.text
    assert "Maria Ionescu" in inbox.text
    assert "not answered yet" in inbox.text
    thread = shown(browser, f"{BASE}/{request_id}")
    assert "Am fost taxată de două ori" in thread.text

    form = thread.form("form-reply")
    empty = browser.post(f"{BASE}/{request_id}/reply", data={**form, "body": "  "})
    assert empty.status_code == 422
    assert "Write an answer first." in Page(empty).text
    sent = browser.post(
        f"{BASE}/{request_id}/reply",
        data={**form, "body": "Am verificat: a doua plată a fost rambursată."},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    answered = shown(browser, sent.headers["location"])
    assert "Answer sent." in answered.text
    assert "a doua plată a fost rambursată" in answered.text
    assert "not answered yet" not in answered.text
    with session_factory() as session:
        row = session.get_one(SupportRequest, (merchant.account_id, request_id))
        assert (row.status, row.first_response_at is not None) == ("answered", True)
    (entry,) = entries(session_factory, merchant, "support_request.reply")
    assert (entry.actor_id, entry.target_id, entry.livemode) == (
        operator.user_id,
        request_id,
        False,
    )
    # The open ones are the inbox's default: an answered request waits in "answered".
    assert "Plată dublă" not in shown(browser, BASE + "?mode=test").text
    assert "Plată dublă" in shown(browser, BASE + "?mode=test&status=answered").text
    assert "Plată dublă" in shown(browser, BASE + "?mode=test&status=all").text

    closed = browser.post(
        f"{BASE}/{request_id}/close", data=answered.form("form-close"), follow_redirects=False
    )
    assert closed.status_code == 303
    after = shown(browser, closed.headers["location"])
    assert "Request closed." in after.text
    assert not after.tree.xpath('//form[@id="form-reply"]')
    (entry,) = entries(session_factory, merchant, "support_request.close")
    assert entry.target_id == request_id
    # The reply form sent again after the close: refused in words.
    late = browser.post(
        f"{BASE}/{request_id}/reply", data={**form, "body": "Încă ceva"}, follow_redirects=False
    )
    assert late.status_code == 409
    assert "This request is closed: it was not answered." in Page(late).text
    assert len(entries(session_factory, merchant, "support_request.reply")) == 1


def test_analysts_read_the_inbox_and_cannot_answer(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant, api: Api
) -> None:
    request_id = support_request(session_factory, merchant, api)
    browser, _ = signed_in(client, session_factory, merchant, "analyst")
    thread = shown(browser, f"{BASE}/{request_id}")
    assert not thread.tree.xpath("//form[@id='form-reply']")
    refused = browser.post(f"{BASE}/{request_id}/reply", data={"body": "x"})
    assert refused.status_code == 403
    assert shown(browser, f"{BASE}/spr_unknown", 404)
