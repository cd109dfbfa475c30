"""A checkout whose first charge was declined and then abandoned: its incomplete
subscription waits 23 hours for another method, then the worker's due work expires it
(`incomplete_expired`), voids its invoice, grants nothing and says so in an event."""

from __future__ import annotations

from datetime import timedelta

from recura.clock import FixedClock
from recura.jobs.worker import run_once
from tests.conftest import T0
from tests.domains.checkout.conftest import Shop
from tests.own_database import database_url, engine, session_factory

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]


def declined(shop: Shop) -> tuple[str, str, str]:
    """(checkout, customer, subscription) of a checkout left after a declined card."""
    checkout_id = shop.checkout(shop.plan(4900))
    card = shop.paying(checkout_id, "tok_sandbox_insufficient_funds")
    failed = shop.complete(checkout_id, payment_method_id=card)
    assert failed.error == "payment.declined"
    return checkout_id, failed.customer_id or "", failed.subscription_id or ""


def test_an_abandoned_incomplete_subscription_expires_after_23_hours(shop: Shop) -> None:
    checkout_id, customer, sub_id = declined(shop)

    run_once(shop.factory, FixedClock(T0 + timedelta(hours=22, minutes=59)))
    sub = shop.api.ok("GET", f"/v1/subscriptions/{sub_id}")
    assert sub["status"] == "incomplete"  # still waiting for another method

    run_once(shop.factory, FixedClock(T0 + timedelta(hours=23, minutes=1)))

    sub = shop.api.ok("GET", f"/v1/subscriptions/{sub_id}")
    assert sub["status"] == "incomplete_expired"
    (invoice,) = shop.api.ok("GET", "/v1/invoices", params={"subscription": sub_id})["data"]
    assert invoice["status"] == "void"
    assert shop.api.ok("GET", f"/v1/customers/{customer}/entitlements")["features"] == []
    expired = [
        e
        for e in shop.world.events(sub_id)
        if e["type"] == "subscription.updated" and e["data"].get("change") == "incomplete_expired"
    ]
    assert len(expired) == 1
    assert expired[0]["data"]["status"] == "incomplete_expired"
    assert expired[0]["data"]["previous_status"] == "incomplete"
    assert [e["type"] for e in shop.world.events(invoice["id"])].count("invoice.voided") == 1
    # The checkout ends with it: nothing is left for it to charge.
    assert shop.row(checkout_id).status == "expired"
    again = shop.complete(checkout_id, payment_method_id=shop.card(customer))
    assert again.status == "expired"
    payments = shop.api.ok("GET", "/v1/payments", params={"customer": customer})["data"]
    assert [p["status"] for p in payments] == ["failed"]  # nothing charged after it

    # Expired for good: later passes change nothing.
    run_once(shop.factory, FixedClock(T0 + timedelta(days=40)))
    assert shop.api.ok("GET", f"/v1/subscriptions/{sub_id}")["status"] == "incomplete_expired"
    assert len([e for e in shop.world.events(sub_id) if e["type"] == "subscription.updated"]) == 1


def test_a_subscription_paid_in_time_does_not_expire(shop: Shop) -> None:
    checkout_id, customer, sub_id = declined(shop)
    paid = shop.complete(checkout_id, payment_method_id=shop.card(customer, "tok_sandbox_visa"))
    assert paid.status == "complete"
    assert paid.subscription_id == sub_id  # retried on the same session: one subscription

    run_once(shop.factory, FixedClock(T0 + timedelta(hours=24)))

    assert shop.api.ok("GET", f"/v1/subscriptions/{sub_id}")["status"] == "active"
    payments = shop.api.ok("GET", "/v1/payments", params={"customer": customer})["data"]
    assert sorted(p["status"] for p in payments) == ["failed", "succeeded"]
    assert shop.row(checkout_id).status == "complete"


def test_a_first_payment_still_being_answered_is_waited_for(shop: Shop) -> None:
    """An attempt whose outcome is unknown may yet have charged: the subscription is not
    expired (nor its invoice voided) under it."""
    checkout_id = shop.checkout(shop.plan(4900))
    card = shop.paying(checkout_id, "tok_sandbox_timeout")  # never any answer
    waiting = shop.complete(checkout_id, payment_method_id=card)
    assert waiting.error == "payment.processing"
    sub_id = waiting.subscription_id or ""

    run_once(shop.factory, FixedClock(T0 + timedelta(hours=23, minutes=1)))

    assert shop.api.ok("GET", f"/v1/subscriptions/{sub_id}")["status"] == "incomplete"
    (invoice,) = shop.api.ok("GET", "/v1/invoices", params={"subscription": sub_id})["data"]
    assert invoice["status"] == "open"
    customer = waiting.customer_id or ""
    payments = shop.api.ok("GET", "/v1/payments", params={"customer": customer})["data"]
    assert [p["status"] for p in payments] == ["unknown"]
