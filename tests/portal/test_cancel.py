"""Cancelling in the portal: the reason question and at most one retention offer on the
page the card's link opens, the next click cancels at the period end (declining the offer
is that click), the confirmation says when access ends and offers to keep the
subscription; an offer is shown once per subscription; pausing and resuming when the
account allows; form keys; another customer's subscription is not found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api
from tests.notifications.mailbox import Mailbox
from tests.own_database import database_url, engine, session_factory
from tests.portal.conftest import Page, emailed_link, get, post, subscriber
from tests.portal.test_change import cell, money
from tests.portal.test_sign_in import signed_in

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]

DAYS = timedelta(days=1)


def cancel_page(client: TestClient, sub: str) -> Page:
    home = get(client, "/portal")
    return get(client, home.link(f"cancel-{sub}"))  # click one


def answer(client: TestClient, sub: str, page: Page, status: int = 303, **fields: str) -> str:
    response = client.post(
        f"/portal/subscriptions/{sub}/cancel",
        data={**page.form("cancel-form"), **fields},
        follow_redirects=False,
    )
    assert response.status_code == status, response.text
    return str(response.headers.get("location", ""))


def feedback(api: Api, sub: str) -> list[dict[str, object]]:
    return list(api.ok("GET", "/v1/cancellation_feedback", params={"subscription": sub})["data"])


@pytest.mark.parametrize("locale", ["en", "ro"])
def test_two_clicks_cancel_at_the_period_end_with_the_reason_recorded(
    api: Api,
    locale: str,
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    who = subscriber(api, locale)
    client = signed_in(api, who.customer)
    page = cancel_page(client, who.subscription)
    assert "too_expensive" in page.radios("reason")
    assert not page.tree.xpath('//*[@id="offer"]')
    target = answer(
        client,
        who.subscription,
        page,
        action="cancel",
        reason="too_expensive",
        reason_text="Prea scump pentru noi",
    )  # click two
    assert target == f"/portal/subscriptions/{who.subscription}/cancelled"
    done = get(client, target)
    ends = who.world.subscription(who.subscription)["current_period_end"]
    said = {"en": "ends on February 15, 2026", "ro": "se încheie pe 15 februarie 2026"}
    assert said[locale] in cell(done, "outcome"), (ends, cell(done, "outcome"))
    assert who.world.subscription(who.subscription)["cancel_at_period_end"] is True
    (row,) = feedback(api, who.subscription)
    assert (row["reason"], row["reason_text"], row["outcome"], row["canceled"]) == (
        "too_expensive",
        "Prea scump pentru noi",
        "not_offered",
        True,
    )
    # The confirmation email is sent, with its own way back.
    link = emailed_link(session_factory, mailer, mailbox, "cancel_scheduled", who.email)
    assert link.startswith("/portal/reactivate/")
    # Clicking again (a reload, a second tab) changes nothing.
    assert answer(client, who.subscription, page, action="cancel") == target
    assert len(feedback(api, who.subscription)) == 1
    # "Keep my subscription" until then.
    kept = post(
        client, f"/portal/subscriptions/{who.subscription}/reactivate", done.form("keep-form")
    )
    assert kept.tree.xpath('//*[@id="outcome"]')
    assert who.world.subscription(who.subscription)["cancel_at_period_end"] is False


def test_the_reason_is_skippable(api: Api) -> None:
    who = subscriber(api, "en")
    client = signed_in(api, who.customer)
    answer(client, who.subscription, cancel_page(client, who.subscription), action="cancel")
    (row,) = feedback(api, who.subscription)
    assert (row["reason"], row["reason_text"], row["canceled"]) == (None, None, True)


def test_the_card_of_a_subscription_set_to_end_keeps_it(api: Api) -> None:
    who = subscriber(api, "ro")
    who.world.act(who.subscription, "cancel", at_period_end=True)
    client = signed_in(api, who.customer)
    home = get(client, "/portal")
    assert not home.tree.xpath(f'//*[@id="cancel-{who.subscription}"]')
    (button,) = home.tree.xpath(f'//*[@id="keep-{who.subscription}"]')
    form = {"form_key": button.getparent().xpath("input")[0].get("value")}
    kept = post(client, f"/portal/subscriptions/{who.subscription}/reactivate", form)
    assert "continuă" in cell(kept, "outcome")
    assert who.world.subscription(who.subscription)["cancel_at_period_end"] is False


@pytest.mark.parametrize("locale", ["en", "ro"])
def test_an_offer_is_shown_once_and_declining_cancels_at_the_period_end(
    api: Api, locale: str
) -> None:
    who = subscriber(api, locale)
    coupon = who.world.coupon(percent_off=50, duration="repeating", duration_in_periods=3)
    api.ok(
        "PATCH", "/v1/account", json={"retention_offer": {"kind": "coupon", "coupon_id": coupon}}
    )
    client = signed_in(api, who.customer)
    page = cancel_page(client, who.subscription)
    offer = cell(page, "offer")
    # 49.00 + 21% VAT = 59.29 a month; half of 49.00 is 24.50, + VAT = 29.65.
    assert money(2965, locale) in offer
    assert money(5929, locale) in offer
    (button,) = page.tree.xpath('//button[@id="confirm-cancel"]')
    said = {"en": "No thanks, cancel subscription", "ro": "Nu, mulțumesc, anulează abonamentul"}
    assert button.text_content() == said[locale]
    answer(client, who.subscription, page, action="cancel", reason="not_using")  # declines
    sub = who.world.subscription(who.subscription)
    assert (sub["status"], sub["cancel_at_period_end"], sub["discount"]) == ("active", True, None)
    (row,) = feedback(api, who.subscription)
    assert (row["outcome"], row["canceled"], row["reason"]) == ("declined", True, "not_using")
    # Kept, then leaving again a month later: no second offer.
    who.world.act(who.subscription, "reactivate")
    who.world.advance_to(T0 + 35 * DAYS)
    again = cancel_page(client, who.subscription)
    assert not again.tree.xpath('//*[@id="offer"]')
    answer(client, who.subscription, again, action="cancel")
    assert [r["outcome"] for r in feedback(api, who.subscription)] == ["not_offered", "declined"]


def test_an_accepted_pause_offer_pauses(api: Api) -> None:
    who = subscriber(api, "en")
    api.ok("PATCH", "/v1/account", json={"retention_offer": {"kind": "pause", "months": 2}})
    who.world.advance_to(T0 + 10 * DAYS)
    client = signed_in(api, who.customer)
    page = cancel_page(client, who.subscription)
    assert "Pause for 2 months instead" in cell(page, "offer")
    target = answer(client, who.subscription, page, action="accept")
    assert target == f"/portal/subscriptions/{who.subscription}/cancel/kept"
    taken = get(client, target)
    assert "paused until March 25, 2026" in cell(taken, "outcome")
    sub = who.world.subscription(who.subscription)
    assert (sub["status"], sub["cancel_at_period_end"]) == ("paused", False)
    (row,) = feedback(api, who.subscription)
    assert (row["outcome"], row["canceled"]) == ("accepted", False)


def test_pausing_and_resuming_from_the_card_when_the_account_allows(api: Api) -> None:
    who = subscriber(api, "ro")
    client = signed_in(api, who.customer)
    assert not get(client, "/portal").tree.xpath(f'//*[@id="pause-{who.subscription}"]')
    assert client.get(f"/portal/subscriptions/{who.subscription}/pause").status_code == 404
    api.ok("PATCH", "/v1/account", json={"portal_pause_enabled": True})
    home = get(client, "/portal")
    page = get(client, home.link(f"pause-{who.subscription}"))
    assert page.radios("months") == ["1", "2", "3"]
    bad = post(
        client,
        f"/portal/subscriptions/{who.subscription}/pause",
        {**page.form("pause-form"), "months": "4"},
        422,
    )
    assert "Alegeți 1, 2 sau 3 luni." in bad.text
    paused = post(
        client,
        f"/portal/subscriptions/{who.subscription}/pause",
        {**page.form("pause-form"), "months": "2"},
    )
    assert "pe pauză până pe 15 martie 2026" in cell(paused, "outcome")
    assert who.world.subscription(who.subscription)["status"] == "paused"
    home = get(client, "/portal")
    (button,) = home.tree.xpath(f'//*[@id="resume-{who.subscription}"]')
    form = {"form_key": button.getparent().xpath("input")[0].get("value")}
    response = client.post(
        f"/portal/subscriptions/{who.subscription}/resume", data=form, follow_redirects=False
    )
    assert (response.status_code, response.headers["location"]) == (303, "/portal")
    assert who.world.subscription(who.subscription)["status"] == "active"


def test_posts_need_their_form_keys(api: Api) -> None:
    who = subscriber(api, "en")
    client = signed_in(api, who.customer)
    page = cancel_page(client, who.subscription)
    answer(client, who.subscription, page, 403, form_key="forged", action="cancel")
    assert who.world.subscription(who.subscription)["cancel_at_period_end"] is False
    assert feedback(api, who.subscription) == []
    # From another site, even with the key.
    response = client.post(
        f"/portal/subscriptions/{who.subscription}/cancel",
        data={**page.form("cancel-form"), "action": "cancel"},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert response.status_code == 403
    assert who.world.subscription(who.subscription)["cancel_at_period_end"] is False


def test_another_customers_subscription_is_not_found(api: Api) -> None:
    who = subscriber(api, "en")
    other = who.world.customer(email="other@example.ro")
    theirs = who.world.subscribe(other, who.world.plan(4900))["id"]
    client = signed_in(api, who.customer)
    form = cancel_page(client, who.subscription).form("cancel-form")
    for path in ("cancel", "cancelled", "pause", "cancel/kept"):
        assert client.get(f"/portal/subscriptions/{theirs}/{path}").status_code == 404
    for path in ("cancel", "reactivate", "pause", "resume"):
        response = client.post(
            f"/portal/subscriptions/{theirs}/{path}", data={**form, "action": "cancel"}
        )
        assert response.status_code == 404
    assert who.world.subscription(theirs)["cancel_at_period_end"] is False


def test_an_offer_counts_as_shown_when_displayed(api: Api) -> None:
    """Shown once means once seen: a reload, or coming back, shows no offer, and leaving
    from there declines the one shown, still in one click."""
    who = subscriber(api, "en")
    coupon = who.world.coupon(percent_off=50, duration="repeating", duration_in_periods=3)
    api.ok(
        "PATCH", "/v1/account", json={"retention_offer": {"kind": "coupon", "coupon_id": coupon}}
    )
    client = signed_in(api, who.customer)
    first = cancel_page(client, who.subscription)
    assert first.tree.xpath('//*[@id="offer"]')
    (row,) = feedback(api, who.subscription)  # recorded as it was shown, unanswered
    assert (row["outcome"], row["canceled"], row["offer"]["kind"]) == ("pending", False, "coupon")

    reloaded = cancel_page(client, who.subscription)
    assert not reloaded.tree.xpath('//*[@id="offer"]')
    (button,) = reloaded.tree.xpath('//button[@id="confirm-cancel"]')
    assert button.text_content() == "Cancel subscription"
    assert len(feedback(api, who.subscription)) == 1  # no second flow for a second look

    answer(client, who.subscription, reloaded, action="cancel", reason="too_expensive")
    sub = who.world.subscription(who.subscription)
    assert (sub["cancel_at_period_end"], sub["discount"]) == (True, None)
    (row,) = feedback(api, who.subscription)
    assert (row["outcome"], row["canceled"], row["reason"]) == ("declined", True, "too_expensive")


def test_the_page_that_showed_the_offer_still_takes_it_after_a_reload(api: Api) -> None:
    who = subscriber(api, "en")
    api.ok("PATCH", "/v1/account", json={"retention_offer": {"kind": "pause", "months": 2}})
    client = signed_in(api, who.customer)
    shown = cancel_page(client, who.subscription)
    cancel_page(client, who.subscription)  # another tab, or a reload
    target = answer(client, who.subscription, shown, action="accept")
    assert target == f"/portal/subscriptions/{who.subscription}/cancel/kept"
    (row,) = feedback(api, who.subscription)
    assert (row["outcome"], row["canceled"]) == ("accepted", False)
