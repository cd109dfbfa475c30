"""A year's emails on a test clock, through the real flows: two subscribers, one in
Romanian and one in English, go through a trial, its conversion, a plan change, renewals,
failed payments and dunning, the cancellation that ends it, and the win-back some days
later. Each receives exactly the emails the story calls for, once each, in their language."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.jobs.worker import run_once
from recura.notifications import links
from recura.notifications.smtp import Mailer
from tests.conftest import SECRET, T0, Api, Merchant
from tests.notifications.mailbox import PUBLIC_URL, Mailbox
from tests.scenarios.world import World

START = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)

EXPECTED = Counter(
    {
        "welcome": 1,
        "card_expiring": 1,
        "trial_ending": 1,
        "upcoming_renewal": 1,
        "receipt": 2,  # the trial's conversion, the renewal on the new plan
        "plan_changed": 1,
        "payment_failed": 1,
        "dunning_reminder": 2,
        "canceled": 1,
        "winback": 1,
    }
)
# Words each language's emails must contain, and the other's must not.
WORDS = {
    "ro": {"greeting": "Bună ziua", "receipt": "Am primit plata", "money": "59,29\xa0RON"},
    "en": {"greeting": "Hello", "receipt": "We received your payment", "money": "RON\xa059.29"},
}


def number_of(text: str) -> str:
    found = re.search(r"NDT-\d+", text)
    assert found is not None, text
    return found.group(0)


def test_a_subscription_story_sends_every_email_once_in_the_right_language(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    world = World(
        api,
        START,
        retry_days=[1, 3],
        winback_days=10,
        email_from_name="Norditech",
        email_from_address="facturare@norditech.ro",
    )
    pro = world.plan(4900, name="Pro", trial_days=14)
    business = world.plan(9900, name="Business")
    people = {
        "ro": f"ana-{uuid.uuid4().hex[:8]}@example.ro",
        "en": f"john-{uuid.uuid4().hex[:8]}@example.com",
    }
    subs = {}
    customers = {}
    for locale, to in people.items():
        customer = world.customer(email=to, locale=locale, name=f"Client {locale}")
        world.card(customer, "tok_sandbox_visa_exp_2026_01")  # a second card, about to expire
        customers[locale] = customer
        subs[locale] = world.subscribe(customer, pro)["id"]

    def deliver() -> None:
        # Charges run by the clock; the worker dispatches events and sends what is due.
        for _ in range(2):
            run_once(session_factory, FixedClock(T0), mailer)

    deliver()
    world.advance_to(START + timedelta(days=12))  # the trial ends in 2 days
    deliver()
    world.advance_to(START + timedelta(days=15))  # the trial converts, paid
    for sub in subs.values():
        world.act(sub, "change", plan=business, effective="period_end")
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(session_factory) as session:  # what the lead's yearly notice records
        for locale, sub in subs.items():
            data = payloads.InvoiceUpcoming(
                id=sub,
                subscription=sub,
                customer=customers[locale],
                renews_at=datetime(2027, 1, 29, 9, 30, tzinfo=UTC),
                amount=4900,
                currency="RON",
                plan=pro,
            )
            events.record(session, tenant, data, START + timedelta(days=15))
    deliver()
    world.advance_to(datetime(2026, 3, 1, 12, tzinfo=UTC))  # renewed on Business
    deliver()
    for customer in customers.values():
        declining = world.card(customer, "tok_sandbox_insufficient_funds")
        api.ok("POST", f"/v1/payment_methods/{declining['id']}/set_default", json={})
    world.advance_to(datetime(2026, 3, 29, 12, tzinfo=UTC))  # the renewal fails
    deliver()
    world.advance_to(datetime(2026, 4, 2, 12, tzinfo=UTC))  # both retries fail: canceled
    deliver()
    for sub in subs.values():
        assert world.subscription(sub)["status"] == "canceled"
    world.advance_to(datetime(2026, 4, 8, 12, tzinfo=UTC))  # not yet ten days
    deliver()
    for to in people.values():
        assert mailbox.of("winback", to) == []
    world.advance_to(datetime(2026, 4, 12, 12, tzinfo=UTC))
    deliver()
    deliver()

    for locale, to in people.items():
        got = Counter(mailbox.templates(to))
        assert got == EXPECTED, (locale, got)
        ids = [str(r.message["Message-ID"]) for r in mailbox.received if to in r.rcpt_tos]
        assert len(ids) == len(set(ids))
        other = "en" if locale == "ro" else "ro"
        for received in mailbox.received:
            if to not in received.rcpt_tos:
                continue
            assert received.message["Content-Language"] == locale
            text, html = received.part("plain"), received.part("html")
            assert WORDS[locale]["greeting"] in text
            assert WORDS[other]["greeting"] not in text
            assert f'lang="{locale}"' in html
        receipt = mailbox.of("receipt", to)[0]  # 49.00 and 21% VAT
        assert WORDS[locale]["receipt"] in receipt.part("plain")
        assert WORDS[locale]["money"] in receipt.part("plain")
        # The reminders follow the first failure: attempts 2 and 3, the last one says so.
        failed_number = mailbox.of("payment_failed", to)[0].part("plain")
        reminders = [r.part("plain") for r in mailbox.of("dunning_reminder", to)]
        assert all(number_of(failed_number) == number_of(r) for r in reminders)
        last = {"ro": "A fost ultima încercare", "en": "That was the last attempt"}[locale]
        assert [last in r for r in reminders] == [False, True]
        # The secure link in the failed-payment email is ours, for this customer.
        failed = mailbox.of("payment_failed", to)[0].part("plain")
        link = next(
            w for w in failed.split() if w.startswith(PUBLIC_URL + "/portal/payment-method/")
        )
        token = urlparse(link).path.rsplit("/", 1)[1]
        claims = links.verify(SECRET.encode(), token, "update_payment_method", T0)
        assert claims.customer_id == customers[locale]
        # The win-back can be left with one click; the canceled email offers reactivation.
        winback = mailbox.of("winback", to)[0].message
        assert winback["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"<{PUBLIC_URL}/email/unsubscribe/" in winback["List-Unsubscribe"]
        assert "mailto:" in winback["List-Unsubscribe"]
        canceled = mailbox.of("canceled", to)[0].part("html")
        assert f"{PUBLIC_URL}/portal/reactivate/" in canceled
        assert mailbox.of("plan_changed", to)[0].part("plain").count("Business") >= 1
