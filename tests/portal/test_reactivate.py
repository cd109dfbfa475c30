"""The page behind the cancellation email's link: a subscription set to end is kept; a
canceled one is started again, once, however often the form is sent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.db.models import Invoice, Subscription
from recura.db.unit_of_work import unit_of_work
from recura.notifications.smtp import Mailer
from tests.conftest import Api, Merchant
from tests.fakes.server_thread import serve_in_thread
from tests.notifications.mailbox import Mailbox
from tests.own_database import database_url, engine, session_factory
from tests.portal.conftest import TOTAL, Subscriber, emailed_link, get, post, sign, subscriber

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]


def counts(factory: sessionmaker[Session], who: Subscriber) -> tuple[int, int]:
    """The customer's subscriptions and invoices."""
    with unit_of_work(factory) as session:
        subs = session.scalar(select(func.count()).where(Subscription.customer_id == who.customer))
        invoices = session.scalar(select(func.count()).where(Invoice.customer_id == who.customer))
    return int(subs or 0), int(invoices or 0)


def test_a_subscription_set_to_end_is_kept(api: Api, merchant: Merchant) -> None:
    who = subscriber(api, "en")
    who.world.act(who.subscription, "cancel", at_period_end=True)
    path = f"/portal/reactivate/{sign(merchant, 'reactivate', who)}"

    page = get(api.client, path)
    assert "Your subscription to Pro is set to end on February 15, 2026." in page.text
    form = page.form()
    assert form["action"] == "keep"
    kept = post(api.client, path, form)
    assert "Done: your subscription to Pro continues, and renews on February 15, 2026." in kept.text
    sub = who.world.subscription(who.subscription)
    assert (sub["status"], sub["cancel_at_period_end"]) == ("active", False)
    # The same form again (a double click): the same answer, nothing else changes.
    assert "Done: your subscription" in post(api.client, path, form).text
    updated = [e for e in who.world.events(who.subscription) if e["type"] == "subscription.updated"]
    assert len(updated) == 2  # set to cancel, then kept


def test_a_canceled_subscription_starts_again_once(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    who = subscriber(api, "ro")
    who.world.act(who.subscription, "cancel")
    assert counts(session_factory, who) == (1, 1)
    path = emailed_link(session_factory, mailer, mailbox, "canceled", who.email)
    assert path.startswith("/portal/reactivate/")

    page = get(api.client, path)
    assert "Abonamentul la Pro s-a încheiat pe 15 ianuarie 2026." in page.text
    assert "Abonați-vă din nou la Pro, începând de astăzi:" in page.text
    assert page.tree.get_element_by_id("amount-due").text_content() == "59,29\xa0RON"
    assert "TVA 21%" in page.text
    assert "Suma se încasează acum cu card Visa terminat în 4242" in page.text
    form = page.form()
    assert form["action"] == "restart"

    done = post(api.client, path, form)
    assert "Bine ați revenit! Abonamentul la Pro este din nou activ." in done.text
    assert "Factura NDT-000002 (59,29 RON) a fost plătită." in done.text
    subs = api.ok("GET", "/v1/subscriptions", params={"customer": who.customer})["data"]
    assert sorted(s["status"] for s in subs) == ["active", "canceled"]
    (new,) = [s for s in subs if s["status"] == "active"]
    assert (new["plan"], new["quantity"], new["currency"]) == (
        who.world.subscription(who.subscription)["plan"],
        "1",
        "RON",
    )
    assert new["metadata"] == {"restarted_from": who.subscription}
    (invoice,) = who.world.invoices(new["id"])
    assert (invoice["status"], invoice["total"]["amount"]) == ("paid", TOTAL)
    assert counts(session_factory, who) == (2, 2)

    # Sent again, and then the page opened again: still one new subscription, one invoice.
    again = post(api.client, path, form)
    assert "Sunteți abonat la Pro: nu este nimic de reactivat." in again.text
    assert counts(session_factory, who) == (2, 2)
    assert "nu este nimic de reactivat" in get(api.client, path).text
    assert get(api.client, path).tree.xpath("//form") == []


def test_the_quote_is_the_first_invoice_under_calendar_billing(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "en")
    who.world.act(who.subscription, "cancel")
    # From now on periods end on the 1st: starting again on 15 January bills half a month.
    api.ok("PATCH", "/v1/account", json={"billing_alignment": "calendar"})
    path = "/portal/reactivate/" + sign(merchant, "reactivate", who)

    quoted = get(api.client, path).tree.get_element_by_id("amount-due").text_content()
    post(api.client, path, get(api.client, path).form())
    subs = api.ok("GET", "/v1/subscriptions", params={"customer": who.customer})["data"]
    (new,) = [s for s in subs if s["status"] == "active"]
    (invoice,) = who.world.invoices(new["id"])
    assert invoice["status"] == "paid"
    assert 0 < invoice["total"]["amount"] < TOTAL
    assert quoted == f"RON\xa0{invoice['total']['amount'] / 100:.2f}"


def test_two_posts_at_once_start_one_subscription(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clock: FixedClock,
    engine: Engine,
) -> None:
    """A double click: both posts arrive together at a real server."""
    who = subscriber(api, "en")
    who.world.act(who.subscription, "cancel")
    path = f"/portal/reactivate/{sign(merchant, 'reactivate', who)}"
    form = get(api.client, path).form()
    app = create_app(settings, clock=clock, engine=engine)
    with serve_in_thread(app) as url, ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: httpx.post(url + path, data=form, timeout=30), [1, 2]))
    assert [a.status_code for a in answers] == [200, 200]
    said = sorted("Welcome back!" in a.text for a in answers)
    assert said == [False, True]
    assert any("You are subscribed to Pro" in a.text for a in answers)
    assert counts(session_factory, who) == (2, 2)


def test_without_a_payment_method_the_page_leads_to_one_first(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "en", card=None)
    who.world.act(who.subscription, "cancel")
    path = f"/portal/reactivate/{sign(merchant, 'reactivate', who)}"
    page = get(api.client, path)
    assert "first add a payment method" in page.text
    assert page.tree.xpath("//form") == []
    before = counts(session_factory, who)
    payment_page = get(api.client, page.link("add-method"))
    assert "Update your payment method" in payment_page.text
    assert "Ana Popescu" in payment_page.text
    saved = post(
        api.client,
        page.link("add-method"),
        payment_page.form("sandbox-form") | {"token": "tok_sandbox_visa"},
    )
    assert "Your payment method was saved" in saved.text
    assert counts(session_factory, who) == before
    # Back to the reactivation link: now it offers to subscribe again.
    assert get(api.client, path).form()["action"] == "restart"


def test_a_declined_charge_starts_the_subscription_and_says_what_to_do(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "en")
    who.world.act(who.subscription, "cancel")
    declining = who.world.card(who.customer, "tok_sandbox_declined", default=True)
    assert declining["default"] is True
    path = f"/portal/reactivate/{sign(merchant, 'reactivate', who)}"
    done = post(api.client, path, get(api.client, path).form())
    assert "Your subscription to Pro has started, but its payment was declined." in done.text
    assert get(api.client, done.link("add-method")).response.status_code == 200
    subs = api.ok("GET", "/v1/subscriptions", params={"customer": who.customer})["data"]
    assert sorted(s["status"] for s in subs) == ["canceled", "past_due"]
