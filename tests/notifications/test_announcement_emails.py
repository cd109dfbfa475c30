"""Publishing an announcement with `email` emails each targeted customer who did not opt
out, once, in their language, with the unsubscribe link: the worker writes the emails a
chunk of customers at a time, and a chunk cut short, a retried publish or another pass
writes no one twice."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import Announcement, EmailMessage
from recura.db.unit_of_work import unit_of_work
from recura.jobs.worker import run_once
from recura.notifications import announcements, links
from recura.notifications.smtp import Mailer
from tests.conftest import SECRET, T0, Api, Merchant
from tests.notifications.mailbox import PUBLIC_URL, Mailbox
from tests.scenarios.world import World

TEXTS = {
    "en": {"title": "New: bank sync", "body": "Statements import **every hour**."},
    "ro": {"title": "Nou: sincronizare", "body": "Extrasele se importă **din oră în oră**."},
}


def address(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.ro"


def rows(factory: sessionmaker[Session], account_id: str) -> list[EmailMessage]:
    with unit_of_work(factory) as session:
        stmt = select(EmailMessage).where(
            EmailMessage.account_id == account_id, EmailMessage.template == "announcement"
        )
        found = list(session.scalars(stmt))
        session.expunge_all()
        return found


def announcement(factory: sessionmaker[Session], account_id: str, ann_id: str) -> Announcement:
    with unit_of_work(factory) as session:
        found = session.get_one(Announcement, (account_id, ann_id))
        session.expunge(found)
        return found


def write_and_die(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        assert announcements.write_due(session, T0, limit=1) == 1
        raise RuntimeError("the worker died before committing")


def publish(api: Api, **body: Any) -> str:
    made = api.ok("POST", "/v1/announcements", 201, json={"texts": TEXTS, "email": True, **body})
    api.ok("POST", f"/v1/announcements/{made['id']}/publish", json={})
    return str(made["id"])


def test_each_targeted_customer_is_emailed_once_in_their_language(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    world = World(api, T0)
    pro, basic = world.plan(4900, trial_days=14), world.plan(1900)
    people: dict[str, str] = {}
    ids: dict[str, str] = {}
    for name, plan, locale in [
        ("trialing-ro", pro, "ro"),
        ("active-en", basic, "en"),
        ("opted-out", basic, "en"),
        ("canceled", basic, "en"),
    ]:
        people[name] = address(name)
        ids[name] = world.customer(email=people[name], locale=locale)
        sub = world.subscribe(ids[name], plan)["id"]
        if name == "canceled":
            world.act(sub, "cancel")
    people["no-subscription"] = address("none")
    ids["no-subscription"] = world.customer(email=people["no-subscription"], card=None)
    token = links.sign(
        SECRET.encode(), "unsubscribe", merchant.account_id, False, ids["opted-out"], None, T0
    )
    assert api.client.post(f"/email/unsubscribe/{token}").status_code == 200
    targeted = {"trialing-ro", "active-en"}

    ann = publish(api, statuses=["trialing", "active"])
    # A chunk of one customer at a time; one transaction cut short writes nothing.
    with unit_of_work(session_factory) as session:
        assert announcements.write_due(session, T0, limit=1) == 1
    with pytest.raises(RuntimeError, match="died"):
        write_and_die(session_factory)
    assert len(rows(session_factory, merchant.account_id)) == 1
    assert announcement(session_factory, merchant.account_id, ann).email_status == "pending"
    # Published again (a retry): nothing starts over.
    api.ok("POST", f"/v1/announcements/{ann}/publish", json={})
    with unit_of_work(session_factory) as session:
        assert announcements.write_due(session, T0, limit=1) == 1
    with unit_of_work(session_factory) as session:
        assert announcements.write_due(session, T0, limit=1) == 0  # no one left: done
    stored = announcement(session_factory, merchant.account_id, ann)
    assert (stored.email_status, stored.emails_written) == ("done", 2)
    with unit_of_work(session_factory) as session:
        assert announcements.write_due(session, T0) == 0

    # The worker sends them (and writes nothing more).
    for _ in range(3):
        run_once(session_factory, FixedClock(T0), mailer)
    written = rows(session_factory, merchant.account_id)
    assert Counter(r.customer_id for r in written) == Counter(ids[n] for n in targeted)
    assert {r.status for r in written} == {"sent"}
    got = Counter(to for r in mailbox.of("announcement") for to in r.rcpt_tos)
    assert got == Counter(people[n] for n in targeted)

    ro = mailbox.of("announcement", people["trialing-ro"])[0]
    assert ro.message["Subject"] == "Nou: sincronizare"
    assert ro.message["Content-Language"] == "ro"
    assert "<strong>din oră în oră</strong>" in ro.part("html")
    assert "Extrasele se importă din oră în oră." in ro.part("plain")
    assert "Dezabonați-vă" in ro.part("plain")
    en = mailbox.of("announcement", people["active-en"])[0]
    assert en.message["Subject"] == "New: bank sync"
    assert en.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"<{PUBLIC_URL}/email/unsubscribe/" in en.message["List-Unsubscribe"]
    ids_sent = [str(r.message["Message-ID"]) for r in mailbox.of("announcement")]
    assert len(set(ids_sent)) == len(ids_sent)


def test_everyone_in_chunks_and_a_withdrawn_announcement_is_not_sent(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    world = World(api, T0)
    customers = [world.customer(email=address(f"c{i}"), card=None) for i in range(5)]
    ann = publish(api)  # no targeting: every customer, with a subscription or not
    written = []
    with unit_of_work(session_factory) as session:
        written.append(announcements.write_due(session, T0, limit=2))
    for _ in range(3):
        with unit_of_work(session_factory) as session:
            written.append(announcements.write_due(session, T0, limit=2))
    assert written == [2, 2, 1, 0]
    found = rows(session_factory, merchant.account_id)
    assert sorted(r.customer_id for r in found) == sorted(customers)

    api.ok("POST", f"/v1/announcements/{ann}/archive", json={})
    for _ in range(2):
        run_once(session_factory, FixedClock(T0), mailer)
    assert mailbox.of("announcement") == []
    found = rows(session_factory, merchant.account_id)
    assert {(r.status, r.last_error) for r in found} == {
        ("skipped", "the announcement was withdrawn")
    }


def test_an_ended_announcement_is_not_sent_and_the_worker_writes_the_rest(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    world = World(api, T0)
    first, second = address("first"), address("second")
    world.customer(email=first, card=None)
    world.customer(email=second, card=None)
    ann = publish(api, ends_at=(T0 + timedelta(hours=1)).isoformat())
    with unit_of_work(session_factory) as session:
        assert announcements.write_due(session, T0, limit=1) == 1
    # Its emails are written and sent while it runs, not after it ends.
    later = FixedClock(T0 + timedelta(hours=2))
    for _ in range(2):
        run_once(session_factory, later, mailer)
    assert mailbox.of("announcement") == []
    [row] = rows(session_factory, merchant.account_id)
    assert (row.status, row.last_error) == ("skipped", "the announcement has ended")
    stored = announcement(session_factory, merchant.account_id, ann)
    assert (stored.email_status, stored.emails_written) == ("done", 1)
