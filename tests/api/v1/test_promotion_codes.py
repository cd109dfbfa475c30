from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import Api, Merchant, make_merchant

from recura.db.models import PromotionCode
from recura.db.unit_of_work import unit_of_work

COUPON = {"code": "partner-20", "name": "Partners: 20% off", "percent_off": 20}


@pytest.fixture
def coupon_id(api: Api) -> str:
    return str(api.ok("POST", "/v1/coupons", 201, json=COUPON)["id"])


def promo(coupon_id: str, **changes: Any) -> dict[str, Any]:
    return {"code": "partner-acme20", "coupon": coupon_id, **changes}


def pointers(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["pointer"] for e in response.json()["errors"]]


def test_create_read_update_deactivate(api: Api, coupon_id: str) -> None:
    customer = api.ok("POST", "/v1/customers", 201, json={"email": "ana@acme.ro"})["id"]
    body = promo(
        coupon_id,
        max_redemptions=50,
        expires_at="2026-12-31T22:00:00Z",
        customer=customer,
        first_time_only=True,
        metadata={"partner": "acme"},
    )
    created = api.ok("POST", "/v1/promotion_codes", 201, json=body)
    assert created["object"] == "promotion_code"
    assert created["id"].startswith("promo_")
    assert created["code"] == "PARTNER-ACME20"
    assert created["coupon"] == coupon_id
    assert created["active"] is True
    assert (created["max_redemptions"], created["times_redeemed"]) == (50, 0)
    assert created["expires_at"] == "2026-12-31T22:00:00Z"
    assert created["customer"] == customer
    assert created["first_time_only"] is True
    assert created["metadata"] == {"partner": "acme"}
    assert created["livemode"] is False
    assert created["created_at"] == created["updated_at"] == "2026-01-15T09:30:00Z"
    path = f"/v1/promotion_codes/{created['id']}"
    assert api.ok("GET", path) == created

    updated = api.ok(
        "PATCH",
        path,
        json={"active": False, "metadata": {"campaign": "q2"}, "max_redemptions": None},
    )
    assert updated["active"] is False
    assert updated["metadata"] == {"partner": "acme", "campaign": "q2"}
    assert updated["max_redemptions"] is None
    assert api.ok("PATCH", path, json={"expires_at": None})["expires_at"] is None
    assert api.ok("PATCH", path, json={"active": True})["active"] is True
    assert api.request("DELETE", path).status_code == 405


def test_defaults(api: Api, coupon_id: str) -> None:
    created = api.ok("POST", "/v1/promotion_codes", 201, json=promo(coupon_id, code="abc"))
    assert created["code"] == "ABC"
    assert created["active"] is True
    assert created["max_redemptions"] is None
    assert created["expires_at"] is None
    assert created["customer"] is None
    assert created["first_time_only"] is False
    assert created["metadata"] == {}
    inactive = api.ok("POST", "/v1/promotion_codes", 201, json=promo(coupon_id, active=False))
    assert inactive["active"] is False


def test_codes_are_unique_whatever_the_case(api: Api, merchant: Merchant, coupon_id: str) -> None:
    api.ok("POST", "/v1/promotion_codes", 201, json=promo(coupon_id, code="Partner-Acme20"))
    clash = api.post("/v1/promotion_codes", json=promo(coupon_id, code="PARTNER-acme20"))
    assert clash.status_code == 409
    assert "PARTNER-ACME20" in clash.json()["detail"]
    live_coupon = merchant.live.ok("POST", "/v1/coupons", 201, json=COUPON)["id"]
    merchant.live.ok("POST", "/v1/promotion_codes", 201, json=promo(live_coupon))


def test_archived_coupon_takes_no_new_codes(api: Api, coupon_id: str) -> None:
    kept = api.ok("POST", "/v1/promotion_codes", 201, json=promo(coupon_id, code="KEPT"))
    api.ok("PATCH", f"/v1/promotion_codes/{kept['id']}", json={"active": False})
    api.ok("POST", f"/v1/coupons/{coupon_id}/archive")
    response = api.post("/v1/promotion_codes", json=promo(coupon_id))
    assert response.status_code == 409
    assert "archived" in response.json()["detail"]
    reactivate = api.patch(f"/v1/promotion_codes/{kept['id']}", json={"active": True})
    assert reactivate.status_code == 409


def test_references_must_exist_in_the_tenant(
    api: Api, merchant: Merchant, coupon_id: str, session_factory: sessionmaker[Session]
) -> None:
    live_coupon = merchant.live.ok("POST", "/v1/coupons", 201, json=COUPON)["id"]
    live_customer = merchant.live.ok("POST", "/v1/customers", 201, json={})["id"]
    other = make_merchant(session_factory, api.client, "Other SRL")
    their_customer = other.api.ok("POST", "/v1/customers", 201, json={})["id"]

    for bad_coupon in ("cpn_nope", live_coupon):
        response = api.post("/v1/promotion_codes", json=promo(bad_coupon))
        assert pointers(response) == ["#/coupon"]
        assert bad_coupon in response.json()["errors"][0]["detail"]
    for bad_customer in ("cus_nope", live_customer, their_customer):
        response = api.post("/v1/promotion_codes", json=promo(coupon_id, customer=bad_customer))
        assert pointers(response) == ["#/customer"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"code": "AB"}, ["#/code"]),
        ({"code": "A" * 41}, ["#/code"]),
        ({"code": "PARTNER ACME"}, ["#/code"]),
        ({"code": "ȘCOALĂ20"}, ["#/code"]),
        ({"code": None}, ["#/code"]),
        ({"coupon": None}, ["#/coupon"]),
        ({"max_redemptions": 0}, ["#/max_redemptions"]),
        ({"expires_at": "2026-01-15T09:30:00Z"}, ["#/expires_at"]),
        ({"expires_at": "2026-01-01T00:00:00Z"}, ["#/expires_at"]),
        ({"expires_at": "2026-12-31T00:00:00"}, ["#/expires_at"]),
        ({"active": "maybe"}, ["#/active"]),
        ({"metadata": {"": "x"}}, ["#/metadata"]),
        ({"percent_off": 10}, ["#/percent_off"]),
    ],
)
def test_invalid_fields_have_pointers(
    api: Api, coupon_id: str, changes: dict[str, Any], expected: list[str]
) -> None:
    assert pointers(api.post("/v1/promotion_codes", json=promo(coupon_id, **changes))) == expected


def test_codes_of_every_allowed_shape(api: Api, coupon_id: str) -> None:
    for code in ("A_B", "x-1_y", "Z" * 40, "123"):
        created = api.ok("POST", "/v1/promotion_codes", 201, json=promo(coupon_id, code=code))
        assert created["code"] == code.upper()


@pytest.mark.parametrize(
    ("field", "value"),
    [("code", "OTHER"), ("coupon", "cpn_x"), ("customer", None), ("first_time_only", True)],
)
def test_fixed_fields_cannot_be_patched(api: Api, coupon_id: str, field: str, value: Any) -> None:
    created = api.ok("POST", "/v1/promotion_codes", 201, json=promo(coupon_id))
    response = api.patch(f"/v1/promotion_codes/{created['id']}", json={field: value})
    assert pointers(response) == [f"#/{field}"]
    assert "cannot be changed" in response.json()["errors"][0]["detail"]
    assert api.ok("GET", f"/v1/promotion_codes/{created['id']}") == created


def test_patch_limits_are_checked(
    api: Api, coupon_id: str, session_factory: sessionmaker[Session]
) -> None:
    created = api.ok("POST", "/v1/promotion_codes", 201, json=promo(coupon_id))
    path = f"/v1/promotion_codes/{created['id']}"
    with unit_of_work(session_factory) as session:
        stmt = update(PromotionCode).where(PromotionCode.id == created["id"])
        session.execute(stmt.values(times_redeemed=3))
    assert pointers(api.patch(path, json={"max_redemptions": 2})) == ["#/max_redemptions"]
    assert api.ok("PATCH", path, json={"max_redemptions": 3})["max_redemptions"] == 3
    past = api.patch(path, json={"expires_at": "2026-01-15T09:29:59Z"})
    assert pointers(past) == ["#/expires_at"]
    assert pointers(api.patch(path, json={"active": None})) == ["#/active"]


def test_list_filters_and_pages(api: Api, coupon_id: str) -> None:
    other_coupon = api.ok("POST", "/v1/coupons", 201, json={**COUPON, "code": "other"})["id"]
    ids = [
        api.ok("POST", "/v1/promotion_codes", 201, json=promo(coupon_id, code=f"code-{i}"))["id"]
        for i in range(4)
    ]
    ids.append(
        api.ok("POST", "/v1/promotion_codes", 201, json=promo(other_coupon, code="solo"))["id"]
    )
    api.ok("PATCH", f"/v1/promotion_codes/{ids[1]}", json={"active": False})

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = api.ok("GET", "/v1/promotion_codes", params=params)
        assert page["object"] == "list"
        seen += [p["id"] for p in page["data"]]
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    assert seen == sorted(ids, reverse=True)

    def listed(**query: Any) -> list[str]:
        return [p["id"] for p in api.ok("GET", "/v1/promotion_codes", params=query)["data"]]

    assert listed(code="Code-2") == [ids[2]]
    assert listed(code="code-9") == []
    assert listed(coupon=other_coupon) == [ids[4]]
    assert listed(coupon=coupon_id, active="true") == sorted([ids[0], *ids[2:4]], reverse=True)
    assert listed(active="false") == [ids[1]]


def test_other_tenants_and_modes_see_404(api: Api, merchant: Merchant, coupon_id: str) -> None:
    created = api.ok("POST", "/v1/promotion_codes", 201, json=promo(coupon_id))
    path = f"/v1/promotion_codes/{created['id']}"
    assert merchant.live.get(path).status_code == 404
    assert merchant.live.ok("GET", "/v1/promotion_codes", params={"code": "partner-acme20"}) == {
        "object": "list",
        "data": [],
        "has_more": False,
    }
    other = make_merchant(api.client.app.state.session_factory, api.client, "Other SRL")
    assert other.api.get(path).status_code == 404
    assert other.api.patch(path, json={"active": False}).status_code == 404
    assert api.get("/v1/promotion_codes/promo_nope").status_code == 404
