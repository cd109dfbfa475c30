"""Stripe promises no order for its events, and delivers each at least once: every order of a
refund's or a dispute's events, each delivered twice, gives one record of it.

Signed deliveries through /webhooks/stripe/{connection}; payments and refunds are made at
localstripe and the events carry its objects (localstripe has no disputes: theirs are
written here, with the fields Stripe sends).
"""

from __future__ import annotations

from datetime import timedelta
from itertools import permutations
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from tests.api.test_gateway_webhooks import Shop, deliver, dispute, paid_invoice, stripe_event
from tests.conftest import T0
from tests.event_contract import check_recorded

from recura.db.models import CreditNote, Dispute, Event, Payment, Refund
from recura.db.unit_of_work import unit_of_work

# Delivered in the past hour: each event's own time says which is newest.
EVENT_AT = T0 + timedelta(seconds=60)


def refund_events(shop: Shop, payment: dict[str, Any], refund: dict[str, Any]) -> list[Any]:
    """What Stripe sends for one refund: its creation, the charge refunded, its update."""
    intent = shop.stripe.v1.payment_intents.retrieve(payment["reference"]).to_dict()
    charge = intent["latest_charge"]  # localstripe expands it
    if isinstance(charge, str):
        charge = shop.stripe.v1.charges.retrieve(charge).to_dict()
    # Since API version 2022-11-15 a charge no longer lists its refunds.
    charge.pop("refunds", None)
    return [
        stripe_event("refund.created", refund),
        stripe_event("charge.refunded", charge),
        stripe_event("charge.refund.updated", refund),
    ]


def deliver_in_order(shop: Shop, events: list[dict[str, Any]]) -> list[str]:
    outcomes = [deliver(shop.client, shop.path, e, at=EVENT_AT)["outcome"] for e in events]
    # Stripe delivers again whatever it does not hear a 2xx for in time.
    replays = [deliver(shop.client, shop.path, e, at=EVENT_AT)["outcome"] for e in events]
    assert set(replays) == {"duplicate"}
    return outcomes


def refunds_of(shop: Shop, payment_id: str) -> list[Refund]:
    with unit_of_work(shop.session_factory) as session:
        rows = session.scalars(
            select(Refund).where(
                Refund.account_id == shop.account_id, Refund.payment_id == payment_id
            )
        )
        return list(rows)


def credit_notes_of(shop: Shop, invoice: str) -> int:
    with unit_of_work(shop.session_factory) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(CreditNote)
                .where(CreditNote.account_id == shop.account_id, CreditNote.invoice_id == invoice)
            )
            or 0
        )


@pytest.mark.parametrize("order", list(permutations(range(3))), ids=str)
def test_a_dashboard_refund_is_recorded_once_in_any_order(
    shop: Shop, order: tuple[int, ...]
) -> None:
    invoice, payment = paid_invoice(shop)
    refund = shop.stripe.v1.refunds.create({"payment_intent": payment["reference"]}).to_dict()
    events = refund_events(shop, payment, refund)

    outcomes = deliver_in_order(shop, [events[i] for i in order])

    assert outcomes.count("applied") == 1, outcomes
    (row,) = refunds_of(shop, payment["id"])
    assert (row.reference, row.amount, row.status) == (refund["id"], 4900, "succeeded")
    assert credit_notes_of(shop, invoice) == 1
    assert shop.payment(invoice)["amount_refunded"]["amount"] == 4900


@pytest.mark.parametrize("order", list(permutations(range(3))), ids=str)
def test_a_partial_refund_whose_answer_was_lost_is_settled_once_in_any_order(
    shop: Shop, order: tuple[int, ...]
) -> None:
    invoice, payment = paid_invoice(shop)
    shop.unreachable()
    pending = shop.api.ok(
        "POST", "/v1/refunds", 201, json={"payment": payment["id"], "amount": 2000}
    )
    assert pending["status"] == "pending"
    shop.reachable()
    # Stripe did make it: the answer was what got lost.
    made = shop.stripe.v1.refunds.create(
        {
            "payment_intent": payment["reference"],
            "amount": 2000,
            "metadata": {"recura_key": f"{payment['id']}-refund-1"},
        }
    ).to_dict()
    events = refund_events(shop, payment, made)

    outcomes = deliver_in_order(shop, [events[i] for i in order])

    assert outcomes.count("applied") == 1, outcomes
    (row,) = refunds_of(shop, payment["id"])
    assert (row.id, row.reference, row.status) == (pending["id"], made["id"], "succeeded")
    assert credit_notes_of(shop, invoice) == 1
    assert shop.payment(invoice)["amount_refunded"]["amount"] == 2000
    assert len(shop.events("refund.succeeded")) == 1


def dispute_events(reference: str, dispute_id: str, end: str) -> list[dict[str, Any]]:
    """A dispute's events as Stripe sends them, each with the dispute as it was then."""

    def at(kind: str, status: str, seconds: int) -> dict[str, Any]:
        obj = dispute(reference, status, id=dispute_id)
        return stripe_event(kind, obj, at=T0 + timedelta(seconds=seconds))

    events = [
        at("charge.dispute.created", "needs_response", 0),
        at("charge.dispute.funds_withdrawn", "needs_response", 1),
        at("charge.dispute.updated", "under_review", 20),
        at("charge.dispute.closed", end, 30),
    ]
    if end == "won":
        events.append(at("charge.dispute.funds_reinstated", "won", 31))
    return events


@pytest.mark.parametrize(("end", "held"), [("won", 0), ("lost", 4900)])
def test_a_dispute_is_recorded_once_in_any_order(shop: Shop, end: str, held: int) -> None:
    _, payment = paid_invoice(shop)
    count = 5 if end == "won" else 4
    for n, order in enumerate(permutations(range(count))):
        dispute_id = f"du_{end}_{n}"
        events = dispute_events(payment["reference"], dispute_id, end)
        before = amount_disputed(shop, payment["id"])

        deliver_in_order(shop, [events[i] for i in order])

        with unit_of_work(shop.session_factory) as session:
            (row,) = session.scalars(
                select(Dispute).where(
                    Dispute.account_id == shop.account_id, Dispute.reference == dispute_id
                )
            )
            assert (row.status, row.amount) == (end, 4900), order
            assert row.funds_withdrawn_at == T0 + timedelta(seconds=1), order
            reinstated = T0 + timedelta(seconds=31) if end == "won" else None
            assert row.funds_reinstated_at == reinstated, order
        assert amount_disputed(shop, payment["id"]) - before == held, order
        # Made once and closed once, however the news came.
        assert [events_of(shop, row.id, k) for k in ("created", "closed")] == [1, 1], order
    shown = shop.api.ok("GET", f"/v1/disputes/{row.id}")
    assert shown["funds_withdrawn_at"] == "2026-01-15T09:30:01Z"
    assert shown["funds_reinstated_at"] == ("2026-01-15T09:30:31Z" if end == "won" else None)
    seen = check_recorded(shop.session_factory, shop.account_id, shop.client.app)  # type: ignore[arg-type]
    assert {"dispute.created", "dispute.updated", "dispute.closed"} <= seen


def events_of(shop: Shop, object_id: str, kind: str) -> int:
    with unit_of_work(shop.session_factory) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Event)
                .where(
                    Event.account_id == shop.account_id,
                    Event.object_id == object_id,
                    Event.type == f"dispute.{kind}",
                )
            )
            or 0
        )


def amount_disputed(shop: Shop, payment_id: str) -> int:
    with unit_of_work(shop.session_factory) as session:
        return session.get_one(Payment, (shop.account_id, payment_id)).amount_disputed


def test_the_database_keeps_one_record_per_processor_id(shop: Shop) -> None:
    """The rule above does not rest on the code alone: a second row under a processor's id
    for a payment, a refund or a dispute is refused by a unique constraint."""
    _, first = paid_invoice(shop)
    _, second = paid_invoice(shop)
    for amount in (1000, 500):
        refund = shop.stripe.v1.refunds.create(
            {"payment_intent": second["reference"], "amount": amount}
        ).to_dict()
        assert deliver(shop.client, shop.path, stripe_event("refund.created", refund))[
            "outcome"
        ] == ("applied")
    for dispute_id in ("du_a", "du_b"):
        event = stripe_event(
            "charge.dispute.created", dispute(second["reference"], "needs_response", id=dispute_id)
        )
        assert deliver(shop.client, shop.path, event)["outcome"] == "applied"
    one, other = refunds_of(shop, second["id"])

    copies = [
        (Payment, second["id"], first["reference"]),
        (Refund, other.id, one.reference),
        (Dispute, dispute_row(shop, "du_b"), "du_a"),
    ]
    for model, row_id, taken in copies:
        with pytest.raises(IntegrityError), unit_of_work(shop.session_factory) as session:
            session.execute(
                update(model)
                .where(model.account_id == shop.account_id, model.id == row_id)
                .values(reference=taken)
            )


def dispute_row(shop: Shop, reference: str) -> str:
    with unit_of_work(shop.session_factory) as session:
        return session.scalars(
            select(Dispute.id).where(
                Dispute.account_id == shop.account_id, Dispute.reference == reference
            )
        ).one()


def test_a_dashboard_refund_like_one_of_ours_waiting_for_its_answer_is_not_taken_for_it(
    shop: Shop,
) -> None:
    invoice, payment = paid_invoice(shop)
    shop.unreachable()
    pending = shop.api.ok(
        "POST", "/v1/refunds", 201, json={"payment": payment["id"], "amount": 2000}
    )
    shop.reachable()
    # Meanwhile someone refunds the same amount in Stripe's dashboard: no key of ours on it.
    theirs = shop.stripe.v1.refunds.create(
        {"payment_intent": payment["reference"], "amount": 2000}
    ).to_dict()
    assert deliver(shop.client, shop.path, stripe_event("refund.created", theirs))["outcome"] == (
        "applied"
    )
    assert shop.api.ok("GET", f"/v1/refunds/{pending['id']}")["status"] == "pending"
    ours = shop.stripe.v1.refunds.create(
        {
            "payment_intent": payment["reference"],
            "amount": 2000,
            "metadata": {"recura_key": f"{payment['id']}-refund-1"},
        }
    ).to_dict()
    assert deliver(shop.client, shop.path, stripe_event("refund.created", ours))["outcome"] == (
        "applied"
    )

    by_reference = {r.reference: (r.id, r.status) for r in refunds_of(shop, payment["id"])}
    assert by_reference[ours["id"]] == (pending["id"], "succeeded")
    assert by_reference[theirs["id"]][1] == "succeeded"
    assert len(by_reference) == 2
    assert credit_notes_of(shop, invoice) == 2
    assert shop.payment(invoice)["amount_refunded"]["amount"] == 4000
