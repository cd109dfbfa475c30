"""The win-back goes out some days after a cancellation, on the customer's clock, unless
the customer opted out with its one-click unsubscribe link or subscribed again."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import Customer, EmailMessage
from recura.db.unit_of_work import unit_of_work
from recura.jobs.worker import run_once
from recura.notifications import links
from recura.notifications.smtp import Mailer
from tests.conftest import SECRET, T0, Api, Merchant
from tests.notifications.mailbox import PUBLIC_URL, Mailbox
from tests.scenarios.world import World


def deliver(factory: sessionmaker[Session], mailer: Mailer) -> None:
    for _ in range(2):
        run_once(factory, FixedClock(T0), mailer)


def canceled_customer(world: World, plan: str, locale: str) -> tuple[str, str, str]:
    to = f"{locale}-{uuid.uuid4().hex[:8]}@example.ro"
    customer = world.customer(email=to, locale=locale)
    sub = world.subscribe(customer, plan)["id"]
    world.act(sub, "cancel")
    return to, customer, sub


def winback_row(factory: sessionmaker[Session], customer: str) -> EmailMessage:
    with unit_of_work(factory) as session:
        stmt = select(EmailMessage).where(
            EmailMessage.customer_id == customer, EmailMessage.template == "winback"
        )
        row = session.scalars(stmt).one()
        session.expunge(row)
        return row


def test_the_winback_waits_for_the_clock_and_honours_the_opt_out(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    world = World(api, T0, winback_days=5)
    plan = world.plan(4900)
    stays, stays_id, _ = canceled_customer(world, plan, "en")
    leaves, leaves_id, _ = canceled_customer(world, plan, "ro")
    returns, returns_id, _ = canceled_customer(world, plan, "ro")
    world.subscribe(returns_id, plan)  # back before the win-back is due
    deliver(session_factory, mailer)
    for to in (stays, leaves, returns):
        assert mailbox.of("canceled", to), to
        assert mailbox.of("winback", to) == []

    # The page behind the link asks first, in the customer's language...
    token = links.sign(
        SECRET.encode(), "unsubscribe", merchant.account_id, False, leaves_id, None, T0
    )
    page = api.client.get(f"/email/unsubscribe/{token}")
    assert page.status_code == 200
    assert "Dezabonează-mă" in page.text
    assert '<form method="post">' in page.text
    with unit_of_work(session_factory) as session:
        assert (
            session.get_one(Customer, (merchant.account_id, leaves_id)).marketing_opted_out_at
            is None
        )
    # ...and a mail client's one-click POST (RFC 8058) opts out, with no API key.
    done = api.client.post(f"/email/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "Gata" in done.text
    assert api.client.post(f"/email/unsubscribe/{token}").status_code == 200  # again: fine
    assert api.client.get(f"/email/unsubscribe/{token}x").status_code == 404
    other = links.sign(
        SECRET.encode(), "reactivate", merchant.account_id, False, leaves_id, None, T0
    )
    assert api.client.post(f"/email/unsubscribe/{other}").status_code == 404

    world.advance_to(T0 + timedelta(days=4))
    deliver(session_factory, mailer)
    assert mailbox.of("winback", stays) == []  # four days on the clock: not yet
    world.advance_to(T0 + timedelta(days=6))
    deliver(session_factory, mailer)
    assert len(mailbox.of("winback", stays)) == 1
    assert mailbox.of("winback", leaves) == []
    assert mailbox.of("winback", returns) == []
    assert winback_row(session_factory, leaves_id).status == "skipped"
    assert winback_row(session_factory, leaves_id).last_error == "the customer unsubscribed"
    assert (
        winback_row(session_factory, returns_id).last_error == "the customer has subscribed again"
    )

    # The win-back's own List-Unsubscribe address works with one click.
    header = mailbox.of("winback", stays)[0].message["List-Unsubscribe"]
    url = re.search(r"<(https://[^>]+)>", header)
    assert url is not None
    assert url.group(1).startswith(PUBLIC_URL)
    path = url.group(1).removeprefix(PUBLIC_URL)
    assert api.client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with unit_of_work(session_factory) as session:
        customer = session.get_one(Customer, (merchant.account_id, stays_id))
        assert customer.marketing_opted_out_at is not None
