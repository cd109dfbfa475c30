"""Collection and dunning on a test clock with sandbox cards: every attempt, every retry,
the subscription's state, and the events, day by day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api
from tests.scenarios.world import World

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def payments(api: Api, invoice: str) -> list[dict[str, Any]]:
    found = api.ok("GET", "/v1/payments", params={"invoice": invoice, "limit": 100})["data"]
    return list(reversed(found))


def types(api: Api, prefix: str) -> list[str]:
    found = api.ok("GET", "/v1/events", params={"type": prefix, "limit": 100})["data"]
    return [e["type"] for e in reversed(found)]


def story(api: Api, card: str, **account: Any) -> tuple[World, str, dict[str, Any]]:
    world = World(api, START, timezone="UTC", **account)
    customer = world.customer(card=card)
    sub = world.subscribe(customer, world.plan(5000))
    world.advance_to(START + timedelta(minutes=1))
    return world, customer, sub


def test_a_good_card_pays_the_first_invoice_and_every_renewal(api: Api) -> None:
    world, _, sub = story(api, "tok_sandbox_visa")
    world.advance_to(START + 62 * DAY)
    invoices = world.invoices(sub["id"])
    assert [(i["status"], i["amount_paid"]["amount"]) for i in invoices] == [("paid", 6050)] * 3
    for invoice in invoices:
        (payment,) = payments(api, invoice["id"])
        assert (payment["status"], payment["attempt"], payment["amount"]["amount"]) == (
            "succeeded",
            1,
            6050,
        )
    assert world.subscription(sub["id"])["status"] == "active"


def test_a_declining_card_is_retried_after_1_3_5_7_days_then_the_subscription_ends(
    api: Api,
) -> None:
    world, _, sub = story(api, "tok_sandbox_insufficient_funds")
    (invoice,) = world.invoices(sub["id"])
    assert world.subscription(sub["id"])["status"] == "past_due"
    world.advance_to(START + 10 * DAY)
    attempts = payments(api, invoice["id"])
    assert [p["attempt"] for p in attempts] == [1, 2, 3, 4, 5]
    assert [p["created_at"] for p in attempts] == [
        (START + d * DAY).isoformat().replace("+00:00", "Z") for d in (0, 1, 3, 5, 7)
    ]
    assert {(p["status"], p["failure_code"]) for p in attempts} == {
        ("failed", "insufficient_funds")
    }
    after = world.subscription(sub["id"])
    assert after["status"] == "canceled"
    assert world.invoices(sub["id"])[0]["status"] == "open"  # still owed
    assert types(api, "invoice.payment_failed") == ["invoice.payment_failed"] * 5
    assert types(api, "payment.*").count("payment.failed") == 5
    assert types(api, "subscription.past_due") == ["subscription.past_due"]
    failed = api.ok("GET", "/v1/events", params={"type": "invoice.payment_failed"})["data"]
    assert failed[0]["data"]["next_payment_attempt"] is None
    assert failed[-1]["data"]["next_payment_attempt"] == "2026-03-02T10:00:00Z"


def test_mark_unpaid_as_the_final_action_and_a_shorter_schedule(api: Api) -> None:
    world, _, sub = story(
        api, "tok_sandbox_declined", retry_days=[2], dunning_final_action="mark_unpaid"
    )
    world.advance_to(START + 5 * DAY)
    (invoice,) = world.invoices(sub["id"])
    assert [p["attempt"] for p in payments(api, invoice["id"])] == [1, 2]
    assert world.subscription(sub["id"])["status"] == "unpaid"


def test_a_new_card_is_tried_at_once_and_recovers_the_subscription(api: Api) -> None:
    world, customer, sub = story(api, "tok_sandbox_expired_card")
    world.advance_to(START + 2 * DAY)  # failed on day 0 and day 1
    card = world.card(customer, "tok_sandbox_visa", default=True)
    methods = api.ok("GET", f"/v1/customers/{customer}/payment_methods")["data"]
    assert [m["default"] for m in methods] == [True, False]  # newest first
    world.advance_to(START + 2 * DAY + timedelta(seconds=1))
    (invoice,) = world.invoices(sub["id"])
    attempts = payments(api, invoice["id"])
    assert [(p["attempt"], p["status"]) for p in attempts] == [
        (1, "failed"),
        (2, "failed"),
        (3, "succeeded"),
    ]
    assert attempts[-1]["payment_method"] == card["id"]
    assert invoice["status"] == "paid"
    assert world.subscription(sub["id"])["status"] == "active"
    # Nothing more is tried on day 3: the invoice is paid.
    world.advance_to(START + 4 * DAY)
    assert len(payments(api, invoice["id"])) == 3


def test_no_payment_method_is_a_failed_attempt_too(api: Api) -> None:
    world = World(api, START, timezone="UTC")
    sub = world.subscribe(world.customer(card=None), world.plan(5000))
    world.advance_to(START + 2 * DAY)
    (invoice,) = world.invoices(sub["id"])
    assert payments(api, invoice["id"]) == []
    failed = api.ok("GET", "/v1/events", params={"type": "invoice.payment_failed"})["data"]
    assert [e["data"]["failure_code"] for e in failed] == ["no_payment_method"] * 2
    assert world.subscription(sub["id"])["status"] == "past_due"


def test_a_card_needing_authentication_waits_as_requires_action(api: Api) -> None:
    world, _, sub = story(api, "tok_sandbox_requires_action")
    (invoice,) = world.invoices(sub["id"])
    (payment,) = payments(api, invoice["id"])
    assert (payment["status"], payment["failure_code"]) == (
        "requires_action",
        "authentication_required",
    )
    assert invoice["status"] == "open"


def test_paying_again_cancels_the_attempt_waiting_for_authentication(api: Api) -> None:
    world, customer, sub = story(api, "tok_sandbox_requires_action")
    (invoice,) = world.invoices(sub["id"])
    world.card(customer, "tok_sandbox_visa", default=True)

    paid = api.ok("POST", f"/v1/invoices/{invoice['id']}/pay", json={})

    assert paid["status"] == "paid"
    first, second = payments(api, invoice["id"])
    # The one waiting for the customer's bank is canceled at the processor first: finished
    # late, it could otherwise charge a second time.
    assert (first["status"], first["failure_code"]) == ("failed", "canceled")
    assert second["status"] == "succeeded"


def test_a_retry_on_a_test_clock_cancels_the_attempt_waiting_for_authentication(
    api: Api,
) -> None:
    world, _, sub = story(api, "tok_sandbox_requires_action")
    world.advance_to(START + DAY + timedelta(minutes=1))
    (invoice,) = world.invoices(sub["id"])
    first, second = payments(api, invoice["id"])
    # As the worker does: the first is canceled before the retry charges the stored card.
    assert (first["status"], first["failure_code"]) == ("failed", "canceled")
    assert (second["attempt"], second["status"]) == (2, "requires_action")
    assert second["created_at"] == (START + DAY).isoformat().replace("+00:00", "Z")
    assert types(api, "invoice.payment_failed") == ["invoice.payment_failed"] * 2
