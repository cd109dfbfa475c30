"""The welcome email shows the new subscription's onboarding guide (its plan's, its
product's and the account-wide steps, in order) in the subscriber's language; without
one, a short text saying all is ready."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.jobs.worker import run_once
from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api
from tests.notifications.mailbox import Mailbox
from tests.scenarios.world import World


def step(api: Api, code: str, **body: Any) -> None:
    api.ok("POST", "/v1/onboarding_steps", 201, json={"code": code, **body})


def test_the_welcome_email_carries_the_guide_in_the_subscribers_language(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    world = World(api, T0)
    pro, basic = world.plan(4900, name="Pro"), world.plan(1900, name="Basic")
    step(
        api,
        "bank",
        plan=pro,
        position=2,
        link="https://app.example.ro/bank",
        texts={
            "en": {"title": "Connect your bank", "body": "Open **Settings** <b>now</b>."},
            "ro": {"title": "Conectați banca", "body": "Deschideți **Setări**."},
        },
    )
    step(api, "team", position=1, texts={"en": {"title": "Invite your team"}})
    step(api, "basic", plan=basic, texts={"en": {"title": "Basic only"}})
    people = {locale: f"{locale}-{uuid.uuid4().hex[:8]}@example.ro" for locale in ("ro", "en")}
    for locale, to in people.items():
        world.subscribe(world.customer(email=to, locale=locale), pro)
    plain_to = f"plain-{uuid.uuid4().hex[:8]}@example.com"
    other = api.ok("POST", "/v1/products", 201, json={"name": "Other"})["id"]
    lone_plan = world.plan(900, product=other, name="Lite")
    for _ in range(2):
        run_once(session_factory, FixedClock(T0), mailer)

    ro = mailbox.of("welcome", people["ro"])[0]
    text, html = ro.part("plain"), ro.part("html")
    assert "Primii pași" in text
    # The account-wide step first (position 1), then the plan's; the English-only one in
    # English (the account's language is Romanian, but that is all it is written in).
    assert text.index("1. Invite your team") < text.index("2. Conectați banca")
    assert "Deschideți Setări." in text
    assert "https://app.example.ro/bank" in text
    assert "Basic only" not in text
    assert "<strong>Setări</strong>" in html
    assert 'href="https://app.example.ro/bank"' in html
    assert "Totul este pregătit" not in text

    en = mailbox.of("welcome", people["en"])[0]
    text, html = en.part("plain"), en.part("html")
    assert "Getting started" in text
    assert "2. Connect your bank" in text
    assert "Open Settings <b>now</b>." in text  # the text part is not HTML
    assert "&lt;b&gt;now&lt;/b&gt;" in html  # and the HTML part shows it, inert
    assert "<b>now</b>" not in html

    # A plan of another product, and every account-wide step archived: no guide.
    api.ok("POST", "/v1/onboarding_steps", 201, json={"code": "x", "texts": {"en": {"title": "x"}}})
    for code in ("team", "x"):
        found = api.ok("GET", "/v1/onboarding_steps", params={"limit": 100})["data"]
        [wanted] = [s for s in found if s["code"] == code]
        api.ok("POST", f"/v1/onboarding_steps/{wanted['id']}/archive", json={})
    world.subscribe(world.customer(email=plain_to, locale="en"), lone_plan)
    for _ in range(2):
        run_once(session_factory, FixedClock(T0), mailer)
    plain = mailbox.of("welcome", plain_to)[0].part("plain")
    assert "Getting started" not in plain
    assert "Everything is ready: sign in and start using Lite." in plain
