"""The emails of a cancellation flow, through the real outbox and a real SMTP server: an
accepted offer is confirmed in the subscriber's language, in the offer's own terms, and a
declined one leads to the cancellation email with the day access ends and the way back."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.domains.cancellations import service as cancellations
from recura.jobs.worker import run_once
from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api, Merchant
from tests.domains.cancellations.shop import Shop, day
from tests.notifications.mailbox import PUBLIC_URL, Mailbox

SAID = {
    "ro": {
        "coupon": "cu o reducere de 25\xa0% la fiecare dintre următoarele 2 facturi",
        "pause": "este suspendat până pe 16 iunie 2026",
        "credit": "Partea neutilizată din perioada curentă, 18,15\xa0RON, a fost creditată",
        "plan": "trece la Basic pe 1 mai 2026, la prețul de 36,30\xa0RON",
        "ends": "Aveți acces până pe 1 mai 2026",
        "subject": "Vă mulțumim că rămâneți alături de",
    },
    "en": {
        "coupon": "with 25% off each of your next 2 invoices",
        "pause": "is paused until June 16, 2026",
        "credit": "The unused part of your current period, RON\xa018.15, was credited",
        "plan": "moves to Basic on May 1, 2026, for RON\xa036.30 per billing period",
        "ends": "You keep access until May 1, 2026",
        "subject": "Thank you for staying with",
    },
}


def test_offer_emails_in_each_language(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    shop = Shop(api, merchant, session_factory)
    pro, basic = shop.plan(6000, name="Pro"), shop.plan(3000, name="Basic")
    coupon = shop.coupon(percent_off=25, duration="repeating", duration_in_periods=2)
    people = {
        "ro": f"ana-{uuid.uuid4().hex[:8]}@example.ro",
        "en": f"john-{uuid.uuid4().hex[:8]}@example.com",
    }
    offers = (
        {"kind": "coupon", "coupon_id": coupon},
        {"kind": "pause", "months": 2},
        {"kind": "plan", "plan_id": basic},
        {"kind": "pause", "months": 1},  # declined
    )
    subs = {}
    for locale, to in people.items():
        customer = shop.customer(email=to, locale=locale)
        plans = (pro, basic, pro, pro)
        subs[locale] = (customer, [shop.subscribe(customer, plan)["id"] for plan in plans])
    shop.advance_to(day(4, 16))
    for customer, ids in subs.values():
        mine = {"customer_id": customer}
        for offer, sub in zip(offers, ids, strict=True):
            shop.offer(offer)
            flow = shop.run(cancellations.record_reason, sub, shop.now, **mine)
            if offer is offers[-1]:
                shop.run(cancellations.decline_offer_and_cancel, flow.feedback.id, shop.now, **mine)
            else:
                shop.run(cancellations.accept_offer, flow.feedback.id, shop.now, **mine)
    for _ in range(2):
        run_once(session_factory, FixedClock(T0), mailer)

    for locale, to in people.items():
        said = SAID[locale]
        got = Counter(mailbox.templates(to))
        assert got["retention_offer_accepted"] == 3, got
        assert got["cancel_scheduled"] == 1, got
        accepted = [m.part("plain") for m in mailbox.of("retention_offer_accepted", to)]
        everything = "\n".join(accepted)
        for key in ("coupon", "pause", "credit", "plan"):
            assert said[key] in everything, (locale, key, everything)
        for received in mailbox.of("retention_offer_accepted", to):
            assert str(received.message["Subject"]).startswith(said["subject"])
            assert received.message["Content-Language"] == locale
        (leaving_email,) = mailbox.of("cancel_scheduled", to)
        for part in (leaving_email.part("plain"), leaving_email.part("html")):
            assert said["ends"] in part
            assert f"{PUBLIC_URL}/portal/reactivate/" in part
