"""What the checkout page does on its way to confirming: opening, details, a promotion code,
a payment method; each recorded as the furthest stage reached."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recura.db.unit_of_work import unit_of_work
from recura.domains.checkout import complete, service
from recura.domains.common.errors import ConflictError
from recura.domains.customers.billing import BillingDetailsInvalid
from tests.conftest import T0
from tests.domains.checkout.conftest import ANA, Shop


def test_stages_keep_the_time_each_was_first_reached(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(4900))
    with unit_of_work(shop.factory) as session:
        service.mark_opened(session, shop.tenant, checkout_id, T0)
        service.mark_opened(session, shop.tenant, checkout_id, T0 + timedelta(minutes=5))
    shop.details(checkout_id)
    customer = shop.customer(checkout_id)
    card = shop.card(customer)
    later = T0 + timedelta(minutes=9)
    with unit_of_work(shop.factory) as session:
        method = complete.mark_payment_method(session, shop.tenant, checkout_id, card, later)
        assert method.id == card
    row = shop.row(checkout_id)
    assert row.stage == "payment_method"
    assert (row.opened_at, row.details_at, row.payment_method_at) == (T0, T0, later)
    assert row.confirmed_at is None
    with unit_of_work(shop.factory) as session:
        service.save_details(session, shop.tenant, checkout_id, ANA, later)
    assert shop.row(checkout_id).stage == "payment_method"  # the furthest stays


def test_the_details_form_starts_from_what_is_known(shop: Shop) -> None:
    plan = shop.plan(4900)
    known = shop.world.customer(card=None, email="known@example.ro", name="Ion")
    given = shop.checkout(plan, customer=known)
    prefilled = shop.checkout(plan, customer_email="p@x.ro")
    with unit_of_work(shop.factory) as session:
        found = service.initial_details(
            session, shop.tenant, service.get(session, shop.tenant, given)
        )
        assert (found["email"], found["name"]) == ("known@example.ro", "Ion")
        blank = service.get(session, shop.tenant, prefilled)
        assert service.initial_details(session, shop.tenant, blank) == {"email": "p@x.ro"}


def test_a_promotion_code_applies_only_where_allowed_and_usable(shop: Shop) -> None:
    plan = shop.plan(4900)
    coupon = shop.world.coupon(percent_off="20", duration="once")
    shop.api.ok(
        "POST",
        "/v1/promotion_codes",
        201,
        json={"code": "NEW", "coupon": coupon, "first_time_only": True},
    )
    closed, allowed = shop.checkout(plan), shop.checkout(plan, allow_promotion_codes=True)

    def apply(checkout_id: str, code: str | None) -> str | None:
        with unit_of_work(shop.factory) as session:
            found = service.apply_promotion_code(session, shop.tenant, checkout_id, code, T0)
            return found.promotion_code_id

    def refused(checkout_id: str, code: str) -> str:
        with pytest.raises(BillingDetailsInvalid) as caught:
            apply(checkout_id, code)
        (problem,) = caught.value.problems
        assert problem.pointer == "/promotion_code"
        return problem.key

    assert refused(closed, "NEW") == "promotion_code.not_allowed"
    assert refused(allowed, "OLD") == "promotion_code.invalid"
    assert apply(allowed, " NEW ") is not None
    assert apply(allowed, None) is None

    # First-time only: not for a customer who has subscribed before.
    returning = shop.world.customer()
    shop.world.subscribe(returning, plan)
    again = shop.checkout(plan, allow_promotion_codes=True, customer=returning)
    assert refused(again, "NEW") == "promotion_code.invalid"


def test_a_completed_or_expired_session_takes_no_more_changes(shop: Shop) -> None:
    done = shop.checkout(shop.plan(0))
    shop.complete(done, details=ANA)
    lapsed = shop.checkout(shop.plan(0))
    for checkout_id, now in ((done, T0), (lapsed, T0 + timedelta(days=1))):
        with unit_of_work(shop.factory) as session, pytest.raises(ConflictError):
            service.save_details(session, shop.tenant, checkout_id, ANA, now)
