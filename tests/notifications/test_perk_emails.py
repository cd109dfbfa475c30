"""Partner perks in the emails: the welcome email lists the subscriber's perks in its
language (the code, the code on its way, a signed link), and a pool running low emails
the merchant at its own address, in its language."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.core import perk_tokens
from recura.db.models import EmailMessage, Event
from recura.db.unit_of_work import unit_of_work
from recura.domains.partner_perks.views import EMAIL_LINK_TTL
from recura.notifications import emails, rendering
from tests.api.v1.test_entitlements import Catalog
from tests.conftest import T0, Api, Merchant

BRAND = rendering.Brand("Norditech", "Europe/Bucharest", "suport@norditech.ro")


def fan_out(factory: sessionmaker[Session], account_id: str) -> dict[str, list[EmailMessage]]:
    """The account's events fanned out to emails now; its email rows by template."""
    with unit_of_work(factory) as session:
        stmt = select(Event).where(Event.account_id == account_id).order_by(Event.id)
        emails.fan_out(session, list(session.scalars(stmt)), T0)
    with unit_of_work(factory) as session:
        stmt = select(EmailMessage).where(EmailMessage.account_id == account_id)
        found: dict[str, list[EmailMessage]] = {}
        for row in session.scalars(stmt.order_by(EmailMessage.id)):
            session.expunge(row)
            found.setdefault(row.template, []).append(row)
        return found


def perk(api: Api, plan: str, **over: Any) -> dict[str, Any]:
    body = {
        "name": "Spotify Premium",
        "partner_name": "Spotify",
        "description": {"en": "Three months, on us.", "ro": "Trei luni, din partea noastră."},
        "kind": "voucher",
        "plans": [plan],
        **over,
    }
    created: dict[str, Any] = api.ok("POST", "/v1/partner_perks", 201, json=body)
    return created


def test_the_welcome_email_lists_the_perks_in_the_subscribers_language(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    shop = Catalog(api)
    plan = shop.plan({})
    spotify = perk(api, plan, low_stock_threshold=None)
    bolt = perk(api, plan, name="Bolt Food", partner_name="Bolt", low_stock_threshold=None)
    libris = perk(
        api,
        plan,
        name="Libris",
        partner_name="Libris",
        kind="link",
        url_template="https://libris.example/p?t={token}",
    )
    api.ok("POST", f"/v1/partner_perks/{spotify['id']}/vouchers", json={"codes": ["SPOT-1"]})
    ana = api.ok(
        "POST", "/v1/customers", 201, json={"name": "Ana", "email": "ana@x.ro", "locale": "ro"}
    )["id"]
    shop.subscribe(ana, plan)
    [welcome] = fan_out(session_factory, merchant.account_id)["welcome"]
    assert welcome.locale == "ro"
    listed = welcome.context["perks"]
    assert [p["name"] for p in listed] == ["Spotify Premium", "Bolt Food", "Libris"]
    assert listed[0]["code"] == "SPOT-1"
    assert listed[0]["description"] == "Trei luni, din partea noastră."
    assert (listed[1]["code"], listed[1]["pending"]) == (None, True)
    token = listed[2]["url"].split("t=", 1)[1]
    claims = perk_tokens.verify(token, libris["secret"], T0, perk=libris["id"])
    assert claims.customer == ana
    assert claims.expires == int((T0 + EMAIL_LINK_TTL).timestamp())

    text = rendering.render("welcome", "ro", welcome.context, BRAND, {}).text
    assert "Beneficiile dumneavoastră de la partenerii noștri" in text
    assert "Codul dumneavoastră: SPOT-1" in text
    assert "Codul dumneavoastră este pe drum" in text
    assert listed[2]["url"] in text
    assert "14 februarie 2026" in text  # the link's last day
    assert bolt["id"] not in text


def test_a_welcome_without_perks_says_nothing_of_them(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    shop = Catalog(api)
    plan, other = shop.plan({}), shop.plan({})
    perk(api, other)  # granted by a plan this subscriber does not have
    shop.subscribe(shop.customer(), plan)
    [welcome] = fan_out(session_factory, merchant.account_id)["welcome"]
    assert "perks" not in welcome.context
    text = rendering.render("welcome", "en", welcome.context, BRAND, {}).text
    assert "partners" not in text


def test_a_pool_running_low_emails_the_merchant(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    api.ok("PATCH", "/v1/account", json={"email_reply_to": "parteneri@norditech.ro"})
    shop = Catalog(api)
    plan = shop.plan({})
    spotify = perk(api, plan, low_stock_threshold=1)
    api.ok("POST", f"/v1/partner_perks/{spotify['id']}/vouchers", json={"codes": ["A", "B"]})
    shop.subscribe(shop.customer(), plan)
    shop.subscribe(shop.customer(), plan)  # already low: no second notice
    [notice] = fan_out(session_factory, merchant.account_id)["perk_pool_low"]
    assert (notice.to_address, notice.customer_id, notice.locale) == (
        "parteneri@norditech.ro",
        None,
        "ro",  # the account's language
    )
    assert notice.context == {
        "perk": "Spotify Premium",
        "partner": "Spotify",
        "available": 1,
        "threshold": 1,
        "waiting": 0,
    }
    rendered = rendering.render("perk_pool_low", "ro", notice.context, BRAND, {})
    assert rendered.subject == "Codurile pentru Spotify Premium sunt pe terminate"
    assert "Coduri libere rămase pentru Spotify Premium (Spotify): 1." in rendered.text
    # Dispatched again (a crash before the commit), it writes no second email.
    assert len(fan_out(session_factory, merchant.account_id)["perk_pool_low"]) == 1
