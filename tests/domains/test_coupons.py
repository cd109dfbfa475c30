"""resolve_discount: which coupon a subscription may use, and every reason it may not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.domains.common.errors import InvalidError
from recura.domains.common.tenant import Tenant
from recura.domains.coupons.service import resolve_discount
from tests.conftest import T0, Api, Merchant
from tests.factories import insert_plan

DAY = timedelta(days=1)


@pytest.fixture
def tenant(merchant: Merchant) -> Tenant:
    return Tenant(account_id=merchant.account_id, livemode=False)


def make_coupon(api: Api, **changes: Any) -> str:
    body = {"code": "c20", "name": "20% off", "percent_off": 20, **changes}
    return str(api.ok("POST", "/v1/coupons", 201, json=body)["id"])


def make_promo(api: Api, coupon_id: str, **changes: Any) -> str:
    body = {"code": "PARTNER-ACME20", "coupon": coupon_id, **changes}
    return str(api.ok("POST", "/v1/promotion_codes", 201, json=body)["id"])


def resolve(session: Session, tenant: Tenant, **kwargs: Any) -> Any:
    args = {"plan_id": None, "customer_id": None, "now": T0, **kwargs}
    return resolve_discount(session, tenant, **args)


def refused(session: Session, tenant: Tenant, pointer: str, reason: str, **kwargs: Any) -> None:
    with pytest.raises(InvalidError) as info:
        resolve(session, tenant, **kwargs)
    [error] = info.value.errors
    assert error.pointer == pointer
    assert reason in error.detail


def test_a_coupon_by_id(api: Api, session: Session, tenant: Tenant) -> None:
    coupon_id = make_coupon(api, max_redemptions=1)
    coupon, promotion = resolve(session, tenant, coupon_id=coupon_id)
    assert coupon.id == coupon_id
    assert promotion is None
    # Checking is not redeeming: the counter moves only when billing applies the discount.
    assert coupon.times_redeemed == 0
    session.commit()  # let the API's transaction in (SQLite takes the write lock at BEGIN)
    assert api.ok("GET", f"/v1/coupons/{coupon_id}")["times_redeemed"] == 0


def test_a_promotion_code_in_any_case(api: Api, session: Session, tenant: Tenant) -> None:
    coupon_id = make_coupon(api)
    promo_id = make_promo(api, coupon_id, max_redemptions=1)
    for typed in ("partner-acme20", "Partner-Acme20", "PARTNER-ACME20"):
        coupon, promotion = resolve(session, tenant, promotion_code=typed)
        assert (coupon.id, promotion.id) == (coupon_id, promo_id)
    assert promotion.times_redeemed == 0


def test_unknown_or_foreign_ids_are_refused(
    api: Api, merchant: Merchant, session: Session, tenant: Tenant
) -> None:
    live_coupon = merchant.live.ok(
        "POST", "/v1/coupons", 201, json={"code": "l", "name": "L", "percent_off": 5}
    )["id"]
    merchant.live.ok(
        "POST", "/v1/promotion_codes", 201, json={"code": "LIVE", "coupon": live_coupon}
    )
    refused(session, tenant, "/coupon", "No coupon", coupon_id="cpn_nope")
    refused(session, tenant, "/coupon", "No coupon", coupon_id=live_coupon)
    refused(session, tenant, "/promotion_code", "No promotion code", promotion_code="NOPE")
    refused(session, tenant, "/promotion_code", "No promotion code", promotion_code="live")


def test_exactly_one_of_coupon_and_code(api: Api, session: Session, tenant: Tenant) -> None:
    coupon_id = make_coupon(api)
    make_promo(api, coupon_id)
    refused(
        session, tenant, "/coupon", "either", coupon_id=coupon_id, promotion_code="PARTNER-ACME20"
    )
    refused(session, tenant, "/coupon", "either")


def test_archived_coupon(api: Api, session: Session, tenant: Tenant) -> None:
    coupon_id = make_coupon(api)
    make_promo(api, coupon_id)
    api.ok("POST", f"/v1/coupons/{coupon_id}/archive")
    refused(session, tenant, "/coupon", "archived", coupon_id=coupon_id)
    refused(session, tenant, "/promotion_code", "archived", promotion_code="partner-acme20")


def test_inactive_promotion_code(api: Api, session: Session, tenant: Tenant) -> None:
    promo_id = make_promo(api, make_coupon(api))
    api.ok("PATCH", f"/v1/promotion_codes/{promo_id}", json={"active": False})
    refused(session, tenant, "/promotion_code", "not active", promotion_code="partner-acme20")


def test_coupon_past_its_redeem_by(api: Api, session: Session, tenant: Tenant) -> None:
    coupon_id = make_coupon(api, redeem_by=(T0 + DAY).isoformat())
    make_promo(api, coupon_id)
    assert resolve(session, tenant, coupon_id=coupon_id, now=T0 + DAY - timedelta(seconds=1))
    refused(session, tenant, "/coupon", "until", coupon_id=coupon_id, now=T0 + DAY)
    refused(
        session,
        tenant,
        "/promotion_code",
        "until",
        promotion_code="PARTNER-ACME20",
        now=T0 + 2 * DAY,
    )


def test_expired_promotion_code(api: Api, session: Session, tenant: Tenant) -> None:
    make_promo(api, make_coupon(api), expires_at=(T0 + DAY).isoformat())
    assert resolve(session, tenant, promotion_code="partner-acme20", now=T0 + DAY / 2)
    refused(
        session, tenant, "/promotion_code", "expired", promotion_code="partner-acme20", now=T0 + DAY
    )


def test_coupon_redeemed_its_maximum(api: Api, session: Session, tenant: Tenant) -> None:
    coupon_id = make_coupon(api, max_redemptions=2)
    make_promo(api, coupon_id)
    coupon, _ = resolve(session, tenant, coupon_id=coupon_id)
    coupon.times_redeemed = 1
    session.flush()
    assert resolve(session, tenant, coupon_id=coupon_id)
    coupon.times_redeemed = 2
    session.flush()
    refused(session, tenant, "/coupon", "2 times", coupon_id=coupon_id)
    refused(session, tenant, "/promotion_code", "2 times", promotion_code="partner-acme20")


def test_promotion_code_redeemed_its_maximum(api: Api, session: Session, tenant: Tenant) -> None:
    coupon_id = make_coupon(api)
    make_promo(api, coupon_id, max_redemptions=1)
    _, promotion = resolve(session, tenant, promotion_code="partner-acme20")
    promotion.times_redeemed = 1
    session.flush()
    refused(session, tenant, "/promotion_code", "1 times", promotion_code="partner-acme20")
    # The coupon itself has no limit and stays usable on its own.
    assert resolve(session, tenant, coupon_id=coupon_id)


def test_coupon_limited_to_other_plans(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    session: Session,
    tenant: Tenant,
) -> None:
    pro, basic = (insert_plan(session_factory, merchant.account_id) for _ in range(2))
    coupon_id = make_coupon(api, applies_to_plans=[pro])
    make_promo(api, coupon_id)
    unrestricted = make_coupon(api, code="any")
    assert resolve(session, tenant, coupon_id=coupon_id, plan_id=pro)
    assert resolve(session, tenant, coupon_id=unrestricted, plan_id=basic)
    refused(session, tenant, "/coupon", pro, coupon_id=coupon_id, plan_id=basic)
    refused(session, tenant, "/coupon", "only to the plans", coupon_id=coupon_id)
    refused(session, tenant, "/promotion_code", pro, promotion_code="partner-acme20", plan_id=basic)


def test_promotion_code_reserved_for_another_customer(
    api: Api, session: Session, tenant: Tenant
) -> None:
    ana, ion = (api.ok("POST", "/v1/customers", 201, json={})["id"] for _ in range(2))
    make_promo(api, make_coupon(api), customer=ana)
    code = "partner-acme20"
    assert resolve(session, tenant, promotion_code=code, customer_id=ana)
    refused(
        session, tenant, "/promotion_code", "another customer", promotion_code=code, customer_id=ion
    )
    refused(session, tenant, "/promotion_code", "another customer", promotion_code=code)
