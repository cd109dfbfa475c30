"""An email goes out only while it is timely: an installation that ran without SMTP and is
given a server later sends what is fresh, and records why the rest was never sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.config import Settings
from recura.jobs.worker import run_once
from recura.notifications.smtp import MAX_AGE, Mailer
from tests.conftest import T0, Api
from tests.notifications.mailbox import Mailbox
from tests.notifications.test_email_delivery import (
    address,
    recorded,
    rows,
    subscribe,
    write_rows,
)
from tests.scenarios.world import World

LATER = T0 + MAX_AGE + timedelta(hours=1)


def statuses(factory: sessionmaker[Session], customer: str) -> set[str]:
    return {r.status for r in rows(factory, customer)}


def test_a_server_configured_late_sends_the_fresh_emails_and_skips_the_old(
    api: Api,
    clock: FixedClock,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    old_to, old = recorded(api, session_factory)  # no server: recorded, pending
    assert statuses(session_factory, old) == {"pending"}

    clock.advance(LATER - T0)  # the API's clock: a day later, a new subscriber
    fresh_to = address()
    fresh = subscribe(api, fresh_to, "ro")
    # The server is there now. Untimely emails are never claimed, even before they are
    # marked: sending alone sends only the fresh ones.
    run_once(session_factory, FixedClock(LATER), only={"dispatch_events", "collect_payments"})
    # (the receipt's invoice PDF made first: the receipt carries it)
    run_once(session_factory, FixedClock(LATER), only={"dispatch_events", "invoice_pdfs"})
    run_once(session_factory, FixedClock(LATER), mailer, only={"send_emails"})
    assert sorted(mailbox.templates(fresh_to)) == ["receipt", "welcome"]
    assert mailbox.templates(old_to) == []
    assert statuses(session_factory, old) == {"pending"}

    run_once(session_factory, FixedClock(LATER), mailer)
    assert mailbox.templates(old_to) == []
    stored = rows(session_factory, old)
    assert {r.template: r.status for r in stored} == {"welcome": "skipped", "receipt": "skipped"}
    for row in stored:
        assert row.last_error == "too old to send: due since 2026-01-15T09:30:00Z, over 24 h ago"
        assert row.attempts == 0
        assert row.sent_at is None
    assert statuses(session_factory, fresh) == {"sent"}


def test_without_a_server_emails_are_skipped_once_too_old(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    to, customer = recorded(api, session_factory)
    run_once(session_factory, FixedClock(T0 + MAX_AGE))  # exactly a day: still timely
    assert statuses(session_factory, customer) == {"pending"}
    run_once(session_factory, FixedClock(T0 + MAX_AGE + timedelta(seconds=1)))
    assert statuses(session_factory, customer) == {"skipped"}
    run_once(session_factory, FixedClock(T0 + MAX_AGE + timedelta(minutes=1)), mailer)
    assert mailbox.templates(to) == []


def test_the_cut_off_is_a_setting(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    to, customer = recorded(api, session_factory)
    patient = Mailer(
        smtp=mailer.smtp,
        secret=mailer.secret,
        public_url=mailer.public_url,
        max_age=timedelta(days=3),
    )
    run_once(session_factory, FixedClock(T0 + timedelta(days=2)), patient)
    assert sorted(mailbox.templates(to)) == ["receipt", "welcome"]
    assert statuses(session_factory, customer) == {"sent"}


def test_a_retry_that_outlives_the_cut_off_is_skipped_with_its_last_error(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    to, customer = recorded(api, session_factory)
    mailbox.refuse[to] = ["451 4.3.0 try again later"] * 2
    run_once(session_factory, FixedClock(T0), mailer)
    assert statuses(session_factory, customer) == {"pending"}
    run_once(session_factory, FixedClock(T0 + timedelta(days=2)), mailer)
    for row in rows(session_factory, customer):
        assert row.status == "skipped"
        assert row.last_error is not None
        assert row.last_error.startswith("too old to send: due since 2026-01-15T09:30:00Z")
        assert "451" in row.last_error
        assert row.attempts == 1


def test_on_a_test_clock_an_advance_sends_what_it_made_due_but_not_old_leftovers(
    api: Api,
    clock: FixedClock,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    # Advancing a clock by weeks makes weeks of emails due in one moment: they go, as
    # they would have on the way, though on the clock's time they are weeks old.
    world = World(api, T0, winback_days=10)
    plan = world.plan(4900, name="Pro")
    to = address()
    customer = world.customer(email=to, locale="ro", name="Ana")
    sub = world.subscribe(customer, plan)["id"]
    world.advance_to(T0 + timedelta(days=40))  # renewed once on the way
    for _ in range(2):
        run_once(session_factory, FixedClock(T0), mailer)
    assert sorted(mailbox.templates(to)) == ["receipt", "receipt", "welcome"]

    # What the next advance makes due, nobody sends for a day and more: it goes stale.
    world.advance_to(T0 + timedelta(days=75))
    write_rows(session_factory)
    run_once(session_factory, FixedClock(LATER), mailer)
    assert mailbox.templates(to).count("receipt") == 2
    stale = [r for r in rows(session_factory, customer) if r.status != "sent"]
    assert [(r.template, r.status) for r in stale] == [("receipt", "skipped")]
    assert stale[0].last_error == ("too old to send: due since 2026-01-15T09:30:00Z, over 24 h ago")

    # A win-back waits ten days of the clock's time, which may be days of real time
    # before someone moves the clock: it is timely when the move makes it due.
    clock.advance(LATER - T0)
    world.act(sub, "cancel")
    run_once(session_factory, FixedClock(LATER))
    run_once(session_factory, FixedClock(LATER), mailer)
    assert mailbox.templates(to).count("canceled") == 1
    days_later = LATER + timedelta(days=3)
    clock.advance(days_later - LATER)
    world.advance_to(T0 + timedelta(days=86))
    run_once(session_factory, FixedClock(days_later + timedelta(minutes=1)), mailer)
    assert mailbox.templates(to).count("winback") == 1


def test_the_cut_off_comes_from_the_settings(settings: Settings) -> None:
    assert Mailer.from_settings(settings).max_age == MAX_AGE == timedelta(hours=24)
    tighter = settings.model_copy(update={"email_max_age_hours": 6})
    assert Mailer.from_settings(tighter).max_age == timedelta(hours=6)
