"""Acting for a customer from the console: each action's form, the page saying what will
happen, the confirmation, its effect, and its audit entry; a second click of the same
confirmation does nothing more; bad input gets a message in the operator's language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import AuditEntry
from recura.db.unit_of_work import unit_of_work
from tests.conftest import Api, Merchant
from tests.console.conftest import Operator, add_user, browser, sign_in
from tests.portal.conftest import PRICE, Page, subscriber


def ask(client: TestClient, page_path: str, form_id: str, action_path: str, **fields: str) -> Page:
    """The form as the page gives it, with `fields` typed in: the confirmation page."""
    form = Page(client.get(page_path)).form(form_id)
    response = client.post(action_path, data={**form, **fields})
    assert response.status_code == 200, response.text
    return Page(response)


def confirm(client: TestClient, shown: Page, action_path: str, status: int = 303) -> Any:
    response = client.post(
        action_path + "/confirm", data=shown.form("confirm-form"), follow_redirects=False
    )
    assert response.status_code == status, response.text
    return response


def entries(factory: sessionmaker[Session], merchant: Merchant, action: str) -> list[AuditEntry]:
    with unit_of_work(factory) as session:
        found = session.scalars(
            select(AuditEntry).where(
                AuditEntry.account_id == merchant.account_id, AuditEntry.action == action
            )
        ).all()
        session.expunge_all()
    return list(found)


def test_changing_the_plan_shows_the_apis_preview_and_confirms_it_once(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, operator = owner
    ana = subscriber(api, "en")
    bigger = ana.world.plan(PRICE * 2, name="Pro")
    path = f"/console/subscriptions/{ana.subscription}"
    shown = ask(client, path, "form-change", f"{path}/change", plan=bigger, effective="now")
    expected = api.ok(
        "POST",
        f"/v1/subscriptions/{ana.subscription}/preview_change",
        json={"plan": bigger, "effective": "now"},
    )
    total = shown.tree.xpath('//*[@id="invoice-total"]')[0].text_content()
    assert expected["invoice"]["total"]["amount"] > 0
    assert total.replace("\xa0", " ") == "RON {:.2f}".format(
        expected["invoice"]["total"]["amount"] / 100
    )
    invoices_before = len(api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"])
    done = confirm(client, shown, f"{path}/change")
    assert done.headers["location"] == f"{path}?done=change"
    assert "The subscription was changed." in Page(client.get(done.headers["location"])).text
    assert api.ok("GET", f"/v1/subscriptions/{ana.subscription}")["plan"] == bigger
    invoices = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    assert len(invoices) == invoices_before + 1
    assert invoices[0]["total"] == expected["invoice"]["total"]
    # The same confirmation again (a double click): refused, nothing invoiced twice.
    again = confirm(client, shown, f"{path}/change", status=409)
    assert "changed since this page was shown" in Page(again).text
    after = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    assert len(after) == invoices_before + 1
    (entry,) = entries(session_factory, merchant, "subscription.change")
    assert (entry.actor_id, entry.target_id, entry.livemode) == (
        operator.user_id,
        ana.subscription,
        False,
    )
    assert entry.changes is not None
    assert entry.changes["plan_id"]["after"] == bigger


def test_a_bad_quantity_is_explained_in_the_operators_language(
    client: TestClient, api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    operator = add_user(session_factory, merchant, "support", locale="ro")
    own = browser(client)
    sign_in(own, operator.email)
    ana = subscriber(api, "ro")
    path = f"/console/subscriptions/{ana.subscription}"
    form = Page(own.get(path)).form("form-change")
    response = own.post(f"{path}/change", data={**form, "quantity": "-2"})
    assert response.status_code == 422
    assert "Introduceți o cantitate mai mare decât zero." in Page(response).text
    nothing = own.post(f"{path}/change", data={**form, "quantity": "1"})
    assert nothing.status_code == 422
    assert "Nu s-ar schimba nimic" in Page(nothing).text
    assert entries(session_factory, merchant, "subscription.change") == []


def test_applying_a_coupon(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, _ = owner
    ana = subscriber(api, "en")
    coupon = ana.world.coupon(name="Stay with us", percent_off=50, duration="once")
    path = f"/console/subscriptions/{ana.subscription}"
    shown = ask(client, path, "form-coupon", f"{path}/coupon", coupon=coupon)
    assert "Stay with us" in shown.text
    confirm(client, shown, f"{path}/coupon")
    sub = api.ok("GET", f"/v1/subscriptions/{ana.subscription}")
    assert sub["discount"]["coupon"] == coupon
    (entry,) = entries(session_factory, merchant, "subscription.coupon_apply")
    assert entry.target_id == ana.subscription


def test_cancelling_at_period_end_with_a_reason_then_undoing_it(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, _ = owner
    ana = subscriber(api, "en")
    path = f"/console/subscriptions/{ana.subscription}"
    shown = ask(
        client,
        path,
        "form-cancel",
        f"{path}/cancel",
        when="period_end",
        reason="too_expensive",
        reason_text="Too much for two.",
    )
    assert "At the end of the period" in shown.text
    confirm(client, shown, f"{path}/cancel")
    sub = api.ok("GET", f"/v1/subscriptions/{ana.subscription}")
    assert sub["cancel_at_period_end"] is True
    feedback = api.ok("GET", "/v1/cancellation_feedback")["data"]
    assert [f["reason"] for f in feedback] == ["too_expensive"]
    assert len(entries(session_factory, merchant, "subscription.cancel")) == 1
    shown = ask(client, path, "form-reactivate", f"{path}/reactivate")
    confirm(client, shown, f"{path}/reactivate")
    assert api.ok("GET", f"/v1/subscriptions/{ana.subscription}")["cancel_at_period_end"] is False
    assert len(entries(session_factory, merchant, "subscription.reactivate")) == 1


def test_pausing_and_resuming(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, _ = owner
    ana = subscriber(api, "en")
    path = f"/console/subscriptions/{ana.subscription}"
    bad = Page(client.get(path)).form("form-pause")
    refused = client.post(f"{path}/pause", data={**bad, "resume_on": "someday"})
    assert refused.status_code == 422
    assert "YYYY-MM-DD" in Page(refused).text
    shown = ask(client, path, "form-pause", f"{path}/pause")
    confirm(client, shown, f"{path}/pause")
    assert api.ok("GET", f"/v1/subscriptions/{ana.subscription}")["status"] == "paused"
    shown = ask(client, path, "form-resume", f"{path}/resume")
    confirm(client, shown, f"{path}/resume")
    assert api.ok("GET", f"/v1/subscriptions/{ana.subscription}")["status"] == "active"
    assert len(entries(session_factory, merchant, "subscription.pause")) == 1
    assert len(entries(session_factory, merchant, "subscription.resume")) == 1


def test_a_partial_refund_then_a_credit_note(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, operator = owner
    ana = subscriber(api, "en")
    (invoice,) = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    (payment,) = api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]
    path = f"/console/invoices/{invoice['id']}"
    # From the customer's page: each subscription and payment says where to act on it.
    customer_page = Page(client.get(f"/console/customers/{ana.customer}"))
    assert customer_page.link(f"refund-{payment['id']}") == f"{path}#form-refund"
    assert customer_page.link(f"act-{ana.subscription}").endswith(f"{ana.subscription}#actions")
    too_much = Page(client.get(path)).form("form-refund")
    refused = client.post(
        f"{path}/refund",
        data={**too_much, "payment": payment["id"], "amount": "1000", "reason": "goodwill"},
    )
    assert refused.status_code == 422
    assert "more than is left" in Page(refused).text
    shown = ask(
        client,
        path,
        "form-refund",
        f"{path}/refund",
        payment=payment["id"],
        amount="10,00",
        reason="goodwill",
    )
    assert "RON 10.00" in shown.text.replace("\xa0", " ")
    done = confirm(client, shown, f"{path}/refund")
    assert done.headers["location"] == f"{path}?done=refund"
    refunds = api.ok("GET", "/v1/refunds", params={"payment": payment["id"]})["data"]
    assert [(r["amount"]["amount"], r["status"]) for r in refunds] == [(1000, "succeeded")]
    confirm(client, shown, f"{path}/refund", status=409)  # a second click refunds nothing
    assert len(api.ok("GET", "/v1/refunds", params={"payment": payment["id"]})["data"]) == 1
    (entry,) = entries(session_factory, merchant, "refund.create")
    assert (entry.actor_id, entry.target_id) == (operator.user_id, refunds[0]["id"])

    shown = ask(
        client,
        path,
        "form-credit_note",
        f"{path}/credit_note",
        amount="5",
        reason="product_unsatisfactory",
        memo="Two days down",
    )
    confirm(client, shown, f"{path}/credit_note")
    notes = api.ok("GET", "/v1/credit_notes", params={"invoice": invoice["id"]})["data"]
    assert sorted(n["total"]["amount"] for n in notes) == [500, 1000]
    (entry,) = entries(session_factory, merchant, "credit_note.create")
    assert entry.target_type == "credit_note"
    page = Page(client.get(path))
    assert "Two days down" in page.text


def test_an_open_invoice_marked_paid_by_hand(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, _ = owner
    ana = subscriber(api, "en", card="tok_sandbox_declined")
    (invoice,) = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    assert invoice["status"] == "open"
    path = f"/console/invoices/{invoice['id']}"
    shown = ask(client, path, "form-paid", f"{path}/paid")
    assert "nothing is charged" in shown.text
    confirm(client, shown, f"{path}/paid")
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    assert api.ok("GET", f"/v1/subscriptions/{ana.subscription}")["status"] == "active"
    (entry,) = entries(session_factory, merchant, "invoice.pay")
    assert entry.changes is not None
    assert entry.changes["status"] == {
        "before": "open",
        "after": "paid",
    }


def test_voiding_an_open_invoice(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, _ = owner
    ana = subscriber(api, "en", card="tok_sandbox_declined")
    (invoice,) = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    path = f"/console/invoices/{invoice['id']}"
    shown = ask(client, path, "form-void", f"{path}/void")
    confirm(client, shown, f"{path}/void")
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "void"
    assert len(entries(session_factory, merchant, "invoice.void")) == 1
    # Voided: no action form is offered any more, and a stale one is refused.
    page = Page(client.get(path))
    assert not page.tree.xpath('//form[@id="form-void"]')


def test_finance_refunds_but_support_does_not_change_invoices(
    client: TestClient, api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    ana = subscriber(api, "en")
    (invoice,) = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    path = f"/console/invoices/{invoice['id']}"
    support = add_user(session_factory, merchant, "support")
    own = browser(client)
    sign_in(own, support.email)
    page = Page(own.get(path))
    assert not page.tree.xpath('//form[@id="form-refund"]')
    assert own.post(f"{path}/refund", data={}).status_code == 403
    finance = add_user(session_factory, merchant, "finance")
    theirs = browser(client)
    sign_in(theirs, finance.email)
    assert Page(theirs.get(path)).tree.xpath('//form[@id="form-refund"]')
    sub_page = Page(theirs.get(f"/console/subscriptions/{ana.subscription}"))
    assert not sub_page.tree.xpath('//form[@id="form-change"]')


def test_a_preview_left_too_long_is_worked_out_again(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    client, _ = owner
    ana = subscriber(api, "en")
    path = f"/console/subscriptions/{ana.subscription}"
    shown = ask(client, path, "form-pause", f"{path}/pause")
    clock.advance(timedelta(minutes=20))
    client.get(path)  # the operator is still there: their session lives on
    clock.advance(timedelta(minutes=20))
    stale = confirm(client, shown, f"{path}/pause", status=409)
    assert "This preview is too old to confirm." in Page(stale).text
    assert api.ok("GET", f"/v1/subscriptions/{ana.subscription}")["status"] == "active"
    assert entries(session_factory, merchant, "subscription.pause") == []


def test_adding_an_add_on(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, _ = owner
    ana = subscriber(api, "en")
    storage = ana.world.add_on(1000, "Extra storage")
    path = f"/console/subscriptions/{ana.subscription}"
    form = Page(client.get(path)).form("form-change")
    assert form[f"add_on_{storage}"] == "0"
    bad = client.post(f"{path}/change", data={**form, f"add_on_{storage}": "1.5"})
    assert bad.status_code == 422
    assert "Enter a whole number from 0 to 1000." in Page(bad).text
    shown = ask(
        client, path, "form-change", f"{path}/change", effective="now", **{f"add_on_{storage}": "2"}
    )
    assert "Extra storage \u00d7 2" in shown.text
    confirm(client, shown, f"{path}/change")
    sub = api.ok("GET", f"/v1/subscriptions/{ana.subscription}")
    assert [(a["add_on"], a["quantity"]) for a in sub["add_ons"]] == [(storage, "2")]
    assert len(entries(session_factory, merchant, "subscription.change")) == 1


def test_charging_an_open_invoice_again(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    client, _ = owner
    ana = subscriber(api, "en", card="tok_sandbox_declined")
    (invoice,) = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    path = f"/console/invoices/{invoice['id']}"
    shown = ask(client, path, "form-charge", f"{path}/charge")
    done = confirm(client, shown, f"{path}/charge")
    assert done.headers["location"] == f"{path}?done=charge_failed"  # the card still declines
    ana.world.card(ana.customer, "tok_sandbox_visa", default=True)
    shown = ask(client, path, "form-charge", f"{path}/charge")
    done = confirm(client, shown, f"{path}/charge")
    assert done.headers["location"] == f"{path}?done=charge"
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    payments = api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]
    assert sorted(p["status"] for p in payments) == ["failed", "failed", "succeeded"]
    assert len(entries(session_factory, merchant, "invoice.charge")) == 2
    # The first confirmation again: the invoice changed since, nothing is charged.
    confirm(client, shown, f"{path}/charge", status=409)
    assert len(api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]) == 3
