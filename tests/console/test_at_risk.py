"""Customers at risk in the console: the engagement list with its reasons, and its one-click
actions, each with its audit entry: a portal link, a coupon offer (through the
subscription's coupon confirmation), a support note."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import AuditEntry
from recura.db.unit_of_work import unit_of_work
from tests.conftest import Api, Merchant
from tests.console.conftest import Operator, signed_in
from tests.portal.conftest import Page, subscriber

PATH = "/console/customers/at-risk"


def entries(factory: sessionmaker[Session], merchant: Merchant, action: str) -> list[AuditEntry]:
    with unit_of_work(factory) as session:
        found = list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.account_id == merchant.account_id, AuditEntry.action == action
                )
            )
        )
        session.expunge_all()
    return found


def test_the_list_and_its_one_click_actions(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, operator = owner
    late = subscriber(api, "en", card="tok_sandbox_declined")
    coupon = late.world.coupon(name="Stay with us", percent_off=30, duration="once")
    page = Page(client.get(PATH, params={"mode": "test"}))
    assert "Failed or overdue payments (invoices: 1)" in page.text
    assert "Risk 30/100" in page.text

    sent = client.post(
        f"{PATH}/{late.customer}/portal-link",
        data=page.form(f"link-{late.customer}"),
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"{PATH}?mode=test&done=link_sent"
    (entry,) = entries(session_factory, merchant, "portal_session.create")
    assert (entry.actor_id, entry.livemode) == (operator.user_id, False)

    note = {**page.form(f"note-{late.customer}"), "note": "Called: card expired, will update"}
    added = client.post(f"{PATH}/{late.customer}/note", data=note, follow_redirects=False)
    assert added.status_code == 303, added.text
    (entry,) = entries(session_factory, merchant, "customer.support_note")
    assert entry.target_id == late.customer
    assert entry.changes == {"note": {"before": None, "after": "Called: card expired, will update"}}
    shown = Page(client.get(added.headers["location"]))
    assert "The note was added." in shown.text
    assert "Called: card expired, will update" in shown.text
    empty = client.post(f"{PATH}/{late.customer}/note", data={**note, "note": "  "})
    assert empty.status_code == 422
    assert "Write the note first." in Page(empty).text

    offer = {**page.form(f"offer-{late.customer}"), "coupon": coupon}
    preview = client.post(f"/console/subscriptions/{late.subscription}/coupon", data=offer)
    assert preview.status_code == 200, preview.text
    confirmed = client.post(
        f"/console/subscriptions/{late.subscription}/coupon/confirm",
        data=Page(preview).form("confirm-form"),
        follow_redirects=False,
    )
    assert confirmed.status_code == 303, confirmed.text
    assert api.ok("GET", f"/v1/subscriptions/{late.subscription}")["discount"]["coupon"] == coupon
    assert len(entries(session_factory, merchant, "subscription.coupon_apply")) == 1


def test_the_analyst_sees_the_list_without_actions(
    client: TestClient, api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    late = subscriber(api, "ro", card="tok_sandbox_declined")
    own, _ = signed_in(client, session_factory, merchant, "analyst")
    page = Page(own.get(PATH, params={"mode": "test"}))
    assert late.customer in page.response.text
    assert not page.tree.xpath("//form[contains(@id, 'link-') or contains(@id, 'note-')]")
    refused = own.post(f"{PATH}/{late.customer}/note", data={"note": "x"})
    assert refused.status_code == 403
    assert entries(session_factory, merchant, "customer.support_note") == []
