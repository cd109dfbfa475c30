"""The cancellation settings on /v1/account, the reason on the cancel endpoint, and the
cancellation feedback list."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import Api, Merchant
from tests.domains.cancellations.shop import Shop

from recura.domains.cancellations import service as cancellations
from recura.domains.cancellations.reasons import DEFAULT_REASONS


def refused(api: Api, body: dict[str, Any]) -> list[str]:
    response = api.patch("/v1/account", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["pointer"] for e in response.json()["errors"]]


def test_reasons_default_to_recuras_list_in_both_languages(api: Api) -> None:
    account = api.ok("GET", "/v1/account")
    assert account["cancellation_reasons"] == list(DEFAULT_REASONS)
    assert [r["code"] for r in account["cancellation_reasons"]][:2] == [
        "too_expensive",
        "not_using",
    ]
    assert all(r["labels"]["ro"] and r["labels"]["en"] for r in DEFAULT_REASONS)
    assert (account["retention_offer"], account["portal_pause_enabled"]) == (None, False)
    assert account["portal_downgrade_timing"] == "period_end"


def test_the_merchant_writes_its_own_reasons(api: Api) -> None:
    mine = [
        {"code": "price", "labels": {"en": "Price", "ro": "Prețul"}},
        {"code": "support", "labels": {"en": " Support ", "ro": "Asistența"}},
    ]
    account = api.ok("PATCH", "/v1/account", json={"cancellation_reasons": mine})
    assert account["cancellation_reasons"][1]["labels"]["en"] == "Support"
    assert [r["code"] for r in api.ok("GET", "/v1/account")["cancellation_reasons"]] == [
        "price",
        "support",
    ]
    twice = [mine[0], mine[0]]
    assert refused(api, {"cancellation_reasons": twice}) == ["#/cancellation_reasons"]
    no_ro = [{"code": "price", "labels": {"en": "Price"}}]
    assert refused(api, {"cancellation_reasons": no_ro}) == ["#/cancellation_reasons/0/labels/ro"]
    many = [{"code": f"r{n}", "labels": {"en": "x", "ro": "x"}} for n in range(13)]
    assert refused(api, {"cancellation_reasons": many}) == ["#/cancellation_reasons"]
    assert refused(api, {"cancellation_reasons": []}) == ["#/cancellation_reasons"]
    bad_code = [{"code": "Too Much", "labels": {"en": "x", "ro": "x"}}]
    assert refused(api, {"cancellation_reasons": bad_code}) == ["#/cancellation_reasons/0/code"]
    # null puts Recura's list back.
    reset = api.ok("PATCH", "/v1/account", json={"cancellation_reasons": None})
    assert reset["cancellation_reasons"] == list(DEFAULT_REASONS)


def test_the_retention_offer_names_what_exists_and_is_usable(api: Api, merchant: Merchant) -> None:
    coupon = {"code": "stay", "name": "Stay", "percent_off": 30, "duration": "once"}
    coupon_id = api.ok("POST", "/v1/coupons", 201, json=coupon)["id"]
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    plan = {"product": product, "code": "lite", "name": "Lite", "pricing_model": "flat"}
    plan["prices"] = [{"currency": "RON", "amount": 1000}]
    plan_id = api.ok("POST", "/v1/plans", 201, json=plan)["id"]

    for offer in (
        {"kind": "coupon", "coupon_id": coupon_id},
        {"kind": "pause", "months": 3},
        {"kind": "plan", "plan_id": plan_id},
    ):
        assert (
            api.ok("PATCH", "/v1/account", json={"retention_offer": offer})["retention_offer"]
            == offer
        )
        assert api.ok("GET", "/v1/account")["retention_offer"] == offer
    pointers = {
        "coupon": refused(api, {"retention_offer": {"kind": "coupon", "coupon_id": "cpn_x"}}),
        "plan": refused(api, {"retention_offer": {"kind": "plan", "plan_id": "plan_x"}}),
        "months": refused(api, {"retention_offer": {"kind": "pause", "months": 4}}),
        "kind": refused(api, {"retention_offer": {"kind": "gift"}}),
    }
    assert pointers["coupon"] == ["#/retention_offer/coupon_id"]
    assert pointers["plan"] == ["#/retention_offer/plan_id"]
    assert pointers["months"] == ["#/retention_offer/months"]
    assert pointers["kind"] == ["#/retention_offer"]
    # Live data does not see the test mode's coupon.
    response = merchant.live.patch(
        "/v1/account", json={"retention_offer": {"kind": "coupon", "coupon_id": coupon_id}}
    )
    assert response.status_code == 422
    api.ok("POST", f"/v1/coupons/{coupon_id}/archive", json={})
    archived = {"kind": "coupon", "coupon_id": coupon_id}
    assert refused(api, {"retention_offer": archived}) == ["#/retention_offer/coupon_id"]
    assert api.ok("GET", "/v1/account")["retention_offer"]["kind"] == "plan"  # unchanged
    cleared = api.ok("PATCH", "/v1/account", json={"retention_offer": None})
    assert cleared["retention_offer"] is None


def test_portal_settings(api: Api) -> None:
    body = {"portal_pause_enabled": True, "portal_downgrade_timing": "now"}
    account = api.ok("PATCH", "/v1/account", json=body)
    assert (account["portal_pause_enabled"], account["portal_downgrade_timing"]) == (True, "now")
    assert refused(api, {"portal_downgrade_timing": "later"}) == ["#/portal_downgrade_timing"]
    assert refused(api, {"portal_pause_enabled": "yes"}) == ["#/portal_pause_enabled"]


@pytest.fixture
def shop(api: Api, merchant: Merchant, session_factory: sessionmaker[Session]) -> Shop:
    return Shop(api, merchant, session_factory)


def test_the_cancel_endpoint_records_the_reason(shop: Shop) -> None:
    api = shop.api
    plan = shop.plan(3000)
    customer = shop.customer()
    sub = shop.subscribe(customer, plan)["id"]
    response = api.post(f"/v1/subscriptions/{sub}/cancel", json={"reason": "boredom"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/reason"
    assert shop.subscription(sub)["cancel_at_period_end"] is False

    body = {"at_period_end": True, "reason": "too_expensive", "reason_text": "Too much"}
    canceled = api.ok("POST", f"/v1/subscriptions/{sub}/cancel", json=body)
    assert canceled["cancel_at_period_end"] is True
    (feedback,) = api.ok("GET", "/v1/cancellation_feedback", params={"subscription": sub})["data"]
    assert feedback == {
        "object": "cancellation_feedback",
        "id": feedback["id"],
        "subscription": sub,
        "customer": customer,
        "reason": "too_expensive",
        "reason_text": "Too much",
        "offer": None,
        "outcome": "not_offered",
        "canceled": True,
        "access_ends_at": canceled["current_period_end"],
        "answered_at": None,
        "livemode": False,
        "created_at": feedback["created_at"],
    }
    assert api.ok("GET", f"/v1/cancellation_feedback/{feedback['id']}") == feedback
    (event,) = api.ok("GET", "/v1/events", params={"type": "subscription.cancellation_feedback"})[
        "data"
    ]
    assert event["data"]["id"] == feedback["id"]
    # Cancelling now without a reason records no feedback.
    other = shop.subscribe(customer, plan)["id"]
    api.ok("POST", f"/v1/subscriptions/{other}/cancel", json={})
    found = api.ok("GET", "/v1/cancellation_feedback", params={"subscription": other})
    assert found["data"] == []


def test_the_list_filters_and_pages(shop: Shop, merchant: Merchant) -> None:
    api = shop.api
    shop.offer({"kind": "pause", "months": 1})
    customer = shop.customer()
    plan = shop.plan(3000)
    subs = [shop.subscribe(customer, plan)["id"] for _ in range(3)]
    mine = {"customer_id": customer}
    taken = shop.run(cancellations.record_reason, subs[0], shop.now, reason="other", **mine)
    shop.run(cancellations.accept_offer, taken.feedback.id, shop.now, **mine)
    declined = shop.run(cancellations.record_reason, subs[1], shop.now, **mine)
    shop.run(cancellations.decline_offer_and_cancel, declined.feedback.id, shop.now, **mine)
    shop.run(cancellations.cancel, subs[2], shop.now, reason="other", **mine)

    def ids(**params: Any) -> list[str]:
        found = api.ok("GET", "/v1/cancellation_feedback", params=params)
        return [f["subscription"] for f in found["data"]]

    assert ids() == list(reversed(subs))  # newest first
    assert ids(outcome="accepted") == [subs[0]]
    assert ids(outcome="declined") == [subs[1]]
    assert ids(outcome="not_offered") == [subs[2]]
    assert ids(reason="other") == [subs[2], subs[0]]
    assert ids(canceled="true") == [subs[2], subs[1]]
    assert ids(offer_kind="pause") == [subs[1], subs[0]]
    assert ids(customer=customer, subscription=subs[1]) == [subs[1]]
    assert ids(created_gte="2026-04-01T00:00:00Z", created_lt="2026-04-02T00:00:00Z") == ids()
    assert ids(created_gte="2026-04-02T00:00:00Z") == []
    first = api.ok("GET", "/v1/cancellation_feedback", params={"limit": 2})
    assert first["has_more"] is True
    rest = api.ok(
        "GET",
        "/v1/cancellation_feedback",
        params={"limit": 2, "starting_after": first["data"][-1]["id"]},
    )
    assert [f["subscription"] for f in first["data"] + rest["data"]] == ids()
    assert rest["has_more"] is False
    accepted = api.ok("GET", "/v1/cancellation_feedback", params={"outcome": "accepted"})
    offer = accepted["data"][0]["offer"]
    assert (offer["kind"], offer["months"]) == ("pause", 1)
    for wrong in ({"outcome": "maybe"}, {"created_lt": "0.5"}, {"created_gte": "2026-04-01"}):
        assert api.get("/v1/cancellation_feedback", params=wrong).status_code == 422
    # Another tenant (here the live mode) sees none of it.
    assert merchant.live.ok("GET", "/v1/cancellation_feedback")["data"] == []
    other = merchant.live.get(f"/v1/cancellation_feedback/{taken.feedback.id}")
    assert other.status_code == 404
