"""The overview's sections besides the subscription cards: the merchant's announcements for
this customer (newest first), getting started with its progress and "Mark as done" (the
step's event recorded once), partner perks among the benefits (a code, a partner link, or
one on its way), and what the next higher plans would add, each linking to the change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import Event
from recura.db.unit_of_work import unit_of_work
from tests.conftest import T0, Api
from tests.portal.conftest import Page, get
from tests.portal.test_support_pages import sign_in
from tests.scenarios.world import World

TITLE = {"en": "Getting started", "ro": "Primii pași"}


def texts(en: str, ro: str, body: str = "") -> dict[str, dict[str, str]]:
    return {"en": {"title": en, "body": body}, "ro": {"title": ro, "body": body}}


@dataclass
class Shop:
    world: World
    pro: str
    business: str
    enterprise: str
    customer: str
    subscription: str


def feature(api: Api, code: str, name: str, kind: str) -> str:
    body = {"code": code, "name": name, "kind": kind}
    return str(api.ok("POST", "/v1/features", 201, json=body)["id"])


def shop(api: Api, locale: str) -> Shop:
    """A customer on Pro, with Business and Enterprise above it (and Basic below)."""
    world = World(api, T0)
    seats = feature(api, "seats", "Seats", "limit")
    sso = feature(api, "sso", "Single sign-on", "boolean")
    reports = feature(api, "reports", "Reports", "boolean")

    def grants(**values: Any) -> list[dict[str, Any]]:
        ids = {"seats": seats, "sso": sso, "reports": reports}
        return [{"feature": ids[k], "value": v} for k, v in values.items()]

    pro = world.plan(4900, features=grants(seats=5, reports=True))
    business = world.plan(9900, name="Business", features=grants(seats=2500, sso=True))
    enterprise = world.plan(19900, name="Enterprise", features=grants(seats=None, sso=True))
    world.plan(49900, name="Ultimate")  # a third one up: not suggested
    world.plan(1900, name="Basic")
    email = f"{locale}-{uuid.uuid4().hex[:8]}@example.ro"
    customer = world.customer(email=email, locale=locale)
    sub = world.subscribe(customer, pro)["id"]
    return Shop(world, pro, business, enterprise, customer, sub)


def step(api: Api, code: str, **over: Any) -> str:
    body = {"code": code, "texts": texts("Connect your bank", "Conectați banca"), **over}
    return str(api.ok("POST", "/v1/onboarding_steps", 201, json=body)["id"])


def completions(factory: sessionmaker[Session], customer: str) -> list[dict[str, Any]]:
    with unit_of_work(factory) as session:
        stmt = (
            select(Event.data).where(Event.type == "onboarding_step.completed").order_by(Event.id)
        )
        return [data for data in session.scalars(stmt) if data["customer"] == customer]


def overview(client: TestClient) -> Page:
    return get(client, "/portal")


def furnished(api: Api, locale: str, clock: FixedClock) -> Shop:
    """A customer with two announcements, two steps, three perks and two plans above."""
    found = shop(api, locale)
    # Announcements: one for everyone, a newer one for Pro, one for another plan.
    older = api.ok(
        "POST",
        "/v1/announcements",
        201,
        json={"texts": texts("Maintenance on Sunday", "Mentenanță duminică", "From **2** to 4.")},
    )["id"]
    api.ok("POST", f"/v1/announcements/{older}/publish", json={})
    clock.advance(timedelta(minutes=1))
    newer = api.ok(
        "POST",
        "/v1/announcements",
        201,
        json={"texts": texts("New reports", "Rapoarte noi"), "plans": [found.pro]},
    )["id"]
    api.ok("POST", f"/v1/announcements/{newer}/publish", json={})
    elsewhere = api.ok(
        "POST",
        "/v1/announcements",
        201,
        json={"texts": texts("Only Business", "Doar Business"), "plans": [found.business]},
    )["id"]
    api.ok("POST", f"/v1/announcements/{elsewhere}/publish", json={})
    step(api, "bank", link="https://docs.example.ro/bank", position=0)
    step(api, "invite", texts=texts("Invite your team", "Invitați echipa", "Up to *5*."))
    # Perks: a code given, a partner link, and a code still to come.
    given = api.ok(
        "POST",
        "/v1/partner_perks",
        201,
        json={
            "name": "Spotify Premium",
            "partner_name": "Spotify",
            "description": {"en": "Three months free.", "ro": "Trei luni gratuit."},
            "kind": "voucher",
            "plans": [found.pro],
        },
    )["id"]
    api.ok("POST", f"/v1/partner_perks/{given}/vouchers", 200, json={"codes": ["SPOT-123"]})
    api.ok(
        "POST",
        "/v1/partner_perks",
        201,
        json={
            "name": "20% off at Libris",
            "partner_name": "Libris",
            "description": {"en": "20% off every book."},
            "kind": "link",
            "url_template": "https://libris.example/partner?token={token}",
            "plans": [found.pro],
        },
    )
    api.ok(
        "POST",
        "/v1/partner_perks",
        201,
        json={
            "name": "Cinema tickets",
            "partner_name": "Cinema City",
            "description": {"en": "Two tickets."},
            "kind": "voucher",
            "plans": [found.pro],
        },
    )

    return found


@pytest.mark.parametrize("locale", ["ro", "en"])
def test_every_section_in_the_customers_language(api: Api, locale: str, clock: FixedClock) -> None:
    found = furnished(api, locale, clock)
    page = overview(sign_in(api, found.customer))
    headings = page.tree.xpath("//main//h2/text()")
    english = locale == "en"
    assert headings[:3] == (
        ["New reports", "Maintenance on Sunday", "Getting started"]
        if english
        else ["Rapoarte noi", "Mentenanță duminică", "Primii pași"]
    )
    assert "Only Business" not in page.text
    assert "Doar Business" not in page.text
    (body,) = page.tree.xpath("//section[@class='announcement'][2]//div[@class='markdown']")
    assert body.xpath(".//strong/text()") == ["2"]

    assert ("0 of 2 steps done" if english else "0 din 2 pași finalizați") in page.text
    (progress,) = page.tree.xpath("//section[@id='getting-started']//progress")
    assert (progress.get("max"), progress.get("value")) == ("2", "0")
    assert page.tree.xpath("//ol[@class='steps']//h3/text()") == (
        ["Connect your bank", "Invite your team"]
        if english
        else ["Conectați banca", "Invitați echipa"]
    )
    assert "https://docs.example.ro/bank" in page.tree.xpath("//ol[@class='steps']//a/@href")
    assert len(page.tree.xpath("//ol[@class='steps']//form")) == 2

    perks = page.tree.xpath("//li[@class='perk']")
    assert len(perks) == 3
    assert page.tree.xpath("//li[@class='perk']//code/text()") == ["SPOT-123"]
    (partner,) = page.tree.xpath("//li[@class='perk']//a")
    assert partner.get("href").startswith("https://libris.example/partner?token=")
    assert partner.text_content() == ("Go to Libris" if english else "Mergeți la Libris")
    assert ("Your code is on its way" if english else "Codul este pe drum") in page.text
    assert ("Three months free." if english else "Trei luni gratuit.") in page.text

    (upgrades,) = page.tree.xpath("//section[@class='upgrades']")
    assert upgrades.xpath("./h2/text()") == [
        "What you would get on a higher plan" if english else "Ce ați primi cu un plan superior"
    ]
    assert upgrades.xpath(".//h3/text()") == ["Business", "Enterprise"]
    links = upgrades.xpath(".//a/@href")
    assert links == [
        f"/portal/subscriptions/{found.subscription}/change?plan={found.business}",
        f"/portal/subscriptions/{found.subscription}/change?plan={found.enterprise}",
    ]
    cards = [" ".join(card.text_content().split()) for card in upgrades.xpath(".//section")]
    if english:
        assert "RON 99.00 a month" in cards[0]
        assert "RON 50.00 more than Pro." in cards[0]
        assert "Prices before VAT." in cards[0]
        assert "Seats: 2,500 instead of 5" in cards[0]
        assert "Single sign-on" in cards[0]
        assert "Seats: unlimited instead of 5" in cards[1]
        assert "Change to Business" in cards[0]
    else:
        assert "99,00 RON pe lună" in cards[0]
        assert "Cu 50,00 RON mai mult decât Pro." in cards[0]
        assert "Seats: 2.500 în loc de 5" in cards[0]
        assert "Seats: nelimitat în loc de 5" in cards[1]
        assert "Treceți la Business" in cards[0]


def test_marking_steps_done_records_each_once_and_then_the_guide_goes(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    found = shop(api, "en")
    bank = step(api, "bank", position=0)
    invite = step(api, "invite", texts=texts("Invite your team", "Invitați echipa"))
    client = sign_in(api, found.customer)
    page = overview(client)
    forms = page.tree.xpath("//ol[@class='steps']//form")
    assert [f.get("action") for f in forms] == [
        f"/portal/getting-started/{bank}/done",
        f"/portal/getting-started/{invite}/done",
    ]
    key = page.form()["form_key"]
    done_key = forms[0].xpath(".//input[@name='form_key']/@value")[0]
    assert done_key != key  # the sign-out form's key is another form's

    response = client.post(
        f"/portal/getting-started/{bank}/done", data={"form_key": done_key}, follow_redirects=False
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/portal#getting-started",
    )
    # Posted again (a double click, the back button): nothing more is recorded.
    client.post(f"/portal/getting-started/{bank}/done", data={"form_key": done_key})
    (completed,) = completions(session_factory, found.customer)
    assert (completed["step"], completed["code"], completed["completed_by"]) == (
        bank,
        "bank",
        "subscriber",
    )
    page = overview(client)
    assert "1 of 2 steps done" in page.text
    assert page.tree.xpath("//li[@class='step done']//span[@class='badge']/text()") == ["Done"]
    assert len(page.tree.xpath("//ol[@class='steps']//form")) == 1

    client.post(f"/portal/getting-started/{invite}/done", data={"form_key": done_key})
    assert len(completions(session_factory, found.customer)) == 2
    finished = overview(client)
    assert TITLE["en"] not in finished.text
    assert not finished.tree.xpath("//section[@id='getting-started']")


def test_a_step_is_marked_only_with_its_form_key_and_only_from_the_customers_guide(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    found = shop(api, "ro")
    mine = step(api, "bank")
    theirs = step(api, "business-only", plan=found.business)
    client = sign_in(api, found.customer)
    page = overview(client)
    done_key = page.tree.xpath("//ol[@class='steps']//input[@name='form_key']/@value")[0]
    refused = client.post(f"/portal/getting-started/{mine}/done", data={})
    assert refused.status_code == 403
    assert "Formularul nu a putut fi acceptat." in Page(refused).text
    cross = client.post(
        f"/portal/getting-started/{mine}/done",
        data={"form_key": done_key},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    other = client.post(f"/portal/getting-started/{theirs}/done", data={"form_key": done_key})
    assert other.status_code == 404
    nothing = client.post("/portal/getting-started/obs_nope/done", data={"form_key": done_key})
    assert nothing.status_code == 404
    assert completions(session_factory, found.customer) == []


def test_without_steps_perks_or_anything_higher_the_sections_are_not_shown(api: Api) -> None:
    found = shop(api, "en")
    # A subscription ending at its period's end is offered no higher plan.
    found.world.act(found.subscription, "cancel", at_period_end=True)
    page = overview(sign_in(api, found.customer))
    assert not page.tree.xpath("//section[@id='getting-started']")
    assert not page.tree.xpath("//section[@class='upgrades']")
    assert not page.tree.xpath("//section[@class='announcement']")
    assert not page.tree.xpath("//li[@class='perk']")
    assert "What you would get" not in page.text
