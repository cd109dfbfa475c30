"""A subscriber leaving: the reason, the one offer, and what each answer does to the
subscription, its invoices (to the cent) and its events."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import CancellationFeedback
from recura.db.unit_of_work import unit_of_work
from recura.domains.cancellations import offers
from recura.domains.cancellations import service as cancellations
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.ids import new_id
from tests.conftest import Api, Merchant
from tests.domains.cancellations.shop import Shop, day
from tests.event_contract import check_recorded
from tests.scenarios.world import line_amounts


@pytest.fixture
def shop(api: Api, merchant: Merchant, session_factory: sessionmaker[Session]) -> Shop:
    return Shop(api, merchant, session_factory)


def test_a_declined_offer_cancels_at_period_end_and_is_never_shown_again(shop: Shop) -> None:
    shop.offer({"kind": "pause", "months": 2})
    customer = shop.customer()
    sub = shop.subscribe(customer, shop.plan(4000))["id"]
    shop.advance_to(day(4, 16))
    mine = {"customer_id": customer}

    offer = shop.run(offers.offer_for, sub, shop.now, **mine)
    assert offer is not None
    assert offer.terms.kind == "pause"
    flow = shop.run(cancellations.record_reason, sub, shop.now, reason="too_expensive", **mine)
    assert flow.offer is not None
    assert flow.offer.terms == offer.terms
    # A retry (the page sent again) continues the same flow, with the same offer.
    again = shop.run(cancellations.record_reason, sub, shop.now, reason_text=" Too much ", **mine)
    assert again.feedback.id == flow.feedback.id
    assert again.offer is not None
    assert again.offer.terms == offer.terms
    assert (again.feedback.reason, again.feedback.reason_text) == ("too_expensive", "Too much")

    done = shop.run(cancellations.decline_offer_and_cancel, flow.feedback.id, shop.now, **mine)
    assert done.access_ends_at == day(5, 1)
    assert (done.feedback.outcome, done.feedback.canceled) == ("declined", True)
    after = shop.subscription(sub)
    assert (after["status"], after["cancel_at_period_end"]) == ("active", True)
    # Declining twice (a retry) changes nothing more.
    twice = shop.run(cancellations.decline_offer_and_cancel, flow.feedback.id, shop.now, **mine)
    assert twice.feedback.id == done.feedback.id
    assert shop.event_types(flow.feedback.id) == [
        "retention_offer.declined",
        "subscription.cancellation_feedback",
    ]
    (feedback,) = [e["data"] for e in shop.events(flow.feedback.id)][1:]
    assert feedback["reason"] == "too_expensive"
    assert feedback["reason_text"] == "Too much"
    assert feedback["offer"]["kind"] == "pause"
    assert feedback["access_ends_at"] == "2026-05-01T00:00:00Z"

    # Changed their mind, then leaves again: no second offer.
    shop.act(sub, "reactivate")
    assert shop.run(offers.offer_for, sub, shop.now, **mine) is None
    second = shop.run(cancellations.record_reason, sub, shop.now, reason="other", **mine)
    assert second.offer is None
    assert second.feedback.id != flow.feedback.id
    assert second.feedback.outcome == "not_offered"
    ended = shop.run(cancellations.cancel, sub, shop.now, **mine)
    assert ended.feedback.id == second.feedback.id
    assert ended.access_ends_at == day(5, 1)

    shop.advance_to(day(5, 2))
    gone = shop.subscription(sub)
    assert (gone["status"], gone["ended_at"]) == ("canceled", "2026-05-01T00:00:00Z")
    assert shop.totals(sub) == [4840]  # nothing billed after the period end


def test_an_accepted_coupon_discounts_the_next_invoices_to_the_cent(shop: Shop) -> None:
    coupon = shop.coupon(percent_off=25, duration="repeating", duration_in_periods=2)
    shop.offer({"kind": "coupon", "coupon_id": coupon})
    customer = shop.customer()
    sub = shop.subscribe(customer, shop.plan(4000))["id"]
    shop.advance_to(day(4, 16))
    mine = {"customer_id": customer}

    flow = shop.run(cancellations.record_reason, sub, shop.now, **mine)
    assert flow.offer is not None
    terms = flow.offer.terms
    assert (terms.kind, terms.coupon, terms.percent_off, terms.periods) == (
        "coupon",
        coupon,
        25.0,
        2,
    )
    # What the page states: 40.00 + 21 % VAT now, 30.00 + VAT with the offer.
    assert (terms.regular_amount, terms.offer_amount, terms.currency) == (4840, 3630, "RON")
    accepted = shop.run(cancellations.accept_offer, flow.feedback.id, shop.now, **mine)
    assert accepted.feedback.outcome == "accepted"
    assert not accepted.feedback.canceled
    # Accepting again (a retry) applies nothing twice.
    shop.run(cancellations.accept_offer, flow.feedback.id, shop.now, **mine)
    assert shop.api.ok("GET", f"/v1/coupons/{coupon}")["times_redeemed"] == 1
    got = shop.subscription(sub)
    assert got["discount"] == {"coupon": coupon, "promotion_code": None, "periods_left": 2}
    assert got["cancel_at_period_end"] is False

    shop.advance_to(day(7, 2))
    assert shop.totals(sub) == [4840, 3630, 3630, 4840]
    may = shop.invoices(sub)[1]
    assert line_amounts(may) == [("Pro", 4000)]
    assert may["discount_total"]["amount"] == 1000
    assert shop.event_types(flow.feedback.id) == ["retention_offer.accepted"]
    # The offer was taken: a later cancellation gets none.
    assert shop.run(offers.offer_for, sub, shop.now, **mine) is None


def test_an_accepted_pause_resumes_on_its_date(shop: Shop) -> None:
    shop.offer({"kind": "pause", "months": 2})
    customer = shop.customer()
    sub = shop.subscribe(customer, shop.plan(3000))["id"]
    shop.advance_to(day(4, 16))
    mine = {"customer_id": customer}

    flow = shop.run(cancellations.record_reason, sub, shop.now, reason="temporary_need", **mine)
    assert flow.offer is not None
    shown = flow.offer.terms
    assert (shown.months, shown.resume_at, shown.offer_amount) == (2, day(6, 16), 0)
    assert shown.credit == 1815  # half of April's 36.30 back to the balance
    shop.advance_to(day(4, 17))  # answered a day later: the pause counts from the answer
    accepted = shop.run(cancellations.accept_offer, flow.feedback.id, shop.now, **mine)
    assert accepted.terms.resume_at == day(6, 17)
    paused = shop.subscription(sub)
    assert (paused["status"], paused["resume_at"]) == ("paused", "2026-06-17T00:00:00Z")

    shop.advance_to(day(6, 16))
    assert shop.subscription(sub)["status"] == "paused"
    shop.advance_to(day(6, 18))
    resumed = shop.subscription(sub)
    assert resumed["status"] == "active"
    assert resumed["current_period_start"] == "2026-06-17T00:00:00Z"
    assert resumed["current_period_end"] == "2026-07-17T00:00:00Z"
    data = [e["data"] for e in shop.events(flow.feedback.id)]
    assert [d["offer"]["resume_at"] for d in data] == ["2026-06-17T00:00:00Z"]


def test_an_accepted_cheaper_plan_takes_over_at_period_end(shop: Shop) -> None:
    pro, basic = shop.plan(6000, name="Pro"), shop.plan(3000, name="Basic")
    shop.offer({"kind": "plan", "plan_id": basic})
    customer = shop.customer()
    sub = shop.subscribe(customer, pro)["id"]
    shop.advance_to(day(4, 16))
    mine = {"customer_id": customer}

    flow = shop.run(cancellations.record_reason, sub, shop.now, **mine)
    assert flow.offer is not None
    assert flow.offer.plan_name == "Basic"
    terms = flow.offer.terms
    assert (terms.plan, terms.effective_at) == (basic, day(5, 1))
    assert (terms.regular_amount, terms.offer_amount) == (7260, 3630)
    shop.run(cancellations.accept_offer, flow.feedback.id, shop.now, **mine)
    waiting = shop.subscription(sub)
    assert waiting["plan"] == pro
    assert waiting["pending_change"]["plan"] == basic
    assert waiting["pending_change"]["effective_at"] == "2026-05-01T00:00:00Z"

    shop.advance_to(day(5, 2))
    assert shop.totals(sub) == [7260, 3630]
    assert shop.subscription(sub)["plan"] == basic


def test_an_offer_fits_the_subscription_or_is_not_shown(shop: Shop) -> None:
    pro, basic = shop.plan(6000, name="Pro"), shop.plan(3000, name="Basic")
    other_product = shop.api.ok("POST", "/v1/products", 201, json={"name": "Other"})["id"]
    elsewhere = shop.plan(1000, name="Lite", product=other_product)
    customer = shop.customer()
    on_basic = shop.subscribe(customer, basic)["id"]
    on_pro = shop.subscribe(customer, pro)["id"]
    trialing = shop.subscribe(customer, pro, trial_days=14)["id"]
    mine = {"customer_id": customer}

    def shown(sub: str) -> str | None:
        offer = shop.run(offers.offer_for, sub, shop.now, **mine)
        return None if offer is None else offer.terms.kind

    assert shown(on_pro) is None  # no offer configured
    # By price, whatever the names: Pro is not cheaper than Basic.
    shop.offer({"kind": "plan", "plan_id": pro})
    assert [shown(on_basic), shown(on_pro)] == [None, None]
    shop.offer({"kind": "plan", "plan_id": basic})
    assert [shown(on_basic), shown(on_pro)] == [None, "plan"]
    shop.offer({"kind": "plan", "plan_id": elsewhere})  # another product
    assert shown(on_pro) is None
    # A trial cannot be paused.
    shop.offer({"kind": "pause", "months": 1})
    assert [shown(trialing), shown(on_pro)] == [None, "pause"]
    # One discount at a time.
    first = shop.coupon(percent_off=10, duration="forever")
    shop.act(on_basic, "change", coupon=first)
    shop.offer({"kind": "coupon", "coupon_id": shop.coupon(percent_off=50, duration="once")})
    assert [shown(on_basic), shown(on_pro)] == [None, "coupon"]
    # A fixed amount in another currency saves nothing here.
    euros = shop.coupon(amounts_off=[{"amount": 500, "currency": "EUR"}], duration="once")
    shop.offer({"kind": "coupon", "coupon_id": euros})
    assert shown(on_pro) is None
    # Set to cancel already: nothing to offer.
    shop.offer({"kind": "pause", "months": 1})
    shop.act(on_pro, "cancel", at_period_end=True)
    assert shown(on_pro) is None


def test_another_customers_subscription_is_not_found(shop: Shop) -> None:
    shop.offer({"kind": "pause", "months": 1})
    owner, stranger = shop.customer(), shop.customer()
    sub = shop.subscribe(owner, shop.plan(3000))["id"]
    with pytest.raises(NotFoundError):
        shop.run(offers.offer_for, sub, shop.now, customer_id=stranger)
    with pytest.raises(NotFoundError):
        shop.run(cancellations.record_reason, sub, shop.now, customer_id=stranger)
    flow = shop.run(cancellations.record_reason, sub, shop.now, customer_id=owner)
    for answer in (cancellations.accept_offer, cancellations.decline_offer_and_cancel):
        with pytest.raises(NotFoundError):
            shop.run(answer, flow.feedback.id, shop.now, customer_id=stranger)
    assert shop.subscription(sub)["status"] == "active"


def test_answers_that_do_not_fit_are_refused(shop: Shop) -> None:
    shop.offer({"kind": "pause", "months": 1})
    customer = shop.customer()
    sub = shop.subscribe(customer, shop.plan(3000))["id"]
    mine = {"customer_id": customer}
    with pytest.raises(InvalidError) as refused:
        shop.run(cancellations.record_reason, sub, shop.now, reason="bored", **mine)
    assert refused.value.errors[0].pointer == "/reason"
    with pytest.raises(InvalidError) as refused:
        shop.run(cancellations.record_reason, sub, shop.now, reason_text="x" * 1001, **mine)
    assert refused.value.errors[0].pointer == "/reason_text"
    flow = shop.run(cancellations.record_reason, sub, shop.now, **mine)
    shop.run(cancellations.accept_offer, flow.feedback.id, shop.now, **mine)
    with pytest.raises(ConflictError):
        shop.run(cancellations.decline_offer_and_cancel, flow.feedback.id, shop.now, **mine)
    # A paused subscription cannot be set to cancel at period end: no flow starts.
    with pytest.raises(ConflictError):
        shop.run(cancellations.record_reason, sub, shop.now, **mine)
    without = shop.run(
        cancellations.cancel, shop.subscribe(customer, shop.plan(100))["id"], shop.now, **mine
    )
    with pytest.raises(ConflictError):
        shop.run(cancellations.accept_offer, without.feedback.id, shop.now, **mine)


def test_the_database_holds_one_offer_per_subscription(
    shop: Shop, session_factory: sessionmaker[Session]
) -> None:
    shop.offer({"kind": "pause", "months": 1})
    customer = shop.customer()
    sub = shop.subscribe(customer, shop.plan(3000))["id"]
    flow = shop.run(cancellations.record_reason, sub, shop.now, customer_id=customer)
    row = flow.feedback
    with pytest.raises(IntegrityError), unit_of_work(session_factory) as session:
        session.add(
            CancellationFeedback(
                id=new_id("cancellation_feedback"),
                account_id=row.account_id,
                livemode=False,
                subscription_id=sub,
                customer_id=customer,
                reason=None,
                reason_text=None,
                offer_kind="pause",
                offer=row.offer,
                outcome="pending",
                canceled=False,
                access_ends_at=None,
                answered_at=None,
                created_at=shop.now,
                updated_at=shop.now,
            )
        )


def test_every_event_of_the_flows_matches_its_webhook_schema(
    shop: Shop, merchant: Merchant, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    coupon = shop.coupon(amounts_off=[{"amount": 500, "currency": "RON"}], duration="forever")
    cheap, dear = shop.plan(1000, name="Lite"), shop.plan(3000, name="Pro")
    customer = shop.customer()
    mine = {"customer_id": customer}
    for offer in (
        {"kind": "coupon", "coupon_id": coupon},
        {"kind": "pause", "months": 3},
        {"kind": "plan", "plan_id": cheap},
    ):
        shop.offer(offer)
        taken, declined = (shop.subscribe(customer, dear)["id"] for _ in range(2))
        flow = shop.run(cancellations.record_reason, taken, shop.now, reason="other", **mine)
        shop.run(cancellations.accept_offer, flow.feedback.id, shop.now, **mine)
        flow = shop.run(cancellations.record_reason, declined, shop.now, **mine)
        shop.run(cancellations.decline_offer_and_cancel, flow.feedback.id, shop.now, **mine)
    shop.offer(None)
    plain = shop.subscribe(customer, dear)["id"]
    shop.run(cancellations.cancel, plain, shop.now, reason_text="No offer here", **mine)
    seen = check_recorded(session_factory, merchant.account_id, client.app)  # type: ignore[arg-type]
    assert {
        "retention_offer.accepted",
        "retention_offer.declined",
        "subscription.cancellation_feedback",
    } <= seen
