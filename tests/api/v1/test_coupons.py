from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import Api, Merchant, make_merchant
from tests.factories import insert_plan

from recura.db.models import Coupon
from recura.db.unit_of_work import unit_of_work

LAUNCH = {
    "code": "launch-20",
    "name": "Launch: 20% off for 3 months",
    "percent_off": 20,
    "duration": "repeating",
    "duration_in_periods": 3,
    "max_redemptions": 100,
    "redeem_by": "2026-06-30T12:00:00+03:00",
    "metadata": {"campaign": "launch"},
}
FIXED = {
    "code": "welcome-50",
    "name": "50 lei off",
    "amounts_off": [{"amount": 5000, "currency": "RON"}],
}


def coupon(**changes: Any) -> dict[str, Any]:
    return {k: v for k, v in {**LAUNCH, **changes}.items() if v is not ...}


def pointers(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["pointer"] for e in response.json()["errors"]]


def set_redeemed(factory: sessionmaker[Session], coupon_id: str, times: int) -> None:
    with unit_of_work(factory) as session:
        session.execute(update(Coupon).where(Coupon.id == coupon_id).values(times_redeemed=times))


def test_create_read_update_archive(api: Api) -> None:
    created = api.ok("POST", "/v1/coupons", 201, json=LAUNCH)
    assert created["object"] == "coupon"
    assert created["id"].startswith("cpn_")
    assert created["percent_off"] == 20
    assert created["amounts_off"] == []
    assert (created["duration"], created["duration_in_periods"]) == ("repeating", 3)
    assert (created["max_redemptions"], created["times_redeemed"]) == (100, 0)
    assert created["redeem_by"] == "2026-06-30T09:00:00Z"
    assert created["applies_to_plans"] == []
    assert created["metadata"] == {"campaign": "launch"}
    assert (created["livemode"], created["archived"]) == (False, False)
    assert created["created_at"] == created["updated_at"] == "2026-01-15T09:30:00Z"
    assert api.ok("GET", f"/v1/coupons/{created['id']}") == created

    updated = api.ok(
        "PATCH",
        f"/v1/coupons/{created['id']}",
        json={
            "name": "Launch (extended)",
            "metadata": {"campaign": "", "owner": "sales"},
            "max_redemptions": None,
            "redeem_by": None,
        },
    )
    assert updated["name"] == "Launch (extended)"
    assert updated["metadata"] == {"owner": "sales"}
    assert updated["max_redemptions"] is None
    assert updated["redeem_by"] is None
    assert updated["percent_off"] == 20

    archived = api.ok("POST", f"/v1/coupons/{created['id']}/archive")
    assert archived["archived"] is True
    again = api.post(f"/v1/coupons/{created['id']}/archive")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


def test_fixed_amounts_and_defaults(api: Api) -> None:
    body = {
        **FIXED,
        "amounts_off": [{"amount": 5000, "currency": "ron"}, {"amount": 1000, "currency": "EUR"}],
    }
    created = api.ok("POST", "/v1/coupons", 201, json=body)
    assert created["percent_off"] is None
    assert created["amounts_off"] == [
        {"amount": 5000, "currency": "RON"},
        {"amount": 1000, "currency": "EUR"},
    ]
    assert created["duration"] == "once"
    assert created["duration_in_periods"] is None
    assert created["max_redemptions"] is None
    assert created["redeem_by"] is None
    assert created["metadata"] == {}


@pytest.mark.parametrize(("sent", "shown"), [(100, 100), ("33.3333", 33.3333), (0.0001, 0.0001)])
def test_percent_keeps_four_decimals(api: Api, sent: Any, shown: float) -> None:
    created = api.ok("POST", "/v1/coupons", 201, json=coupon(percent_off=sent))
    assert created["percent_off"] == shown
    assert api.ok("GET", f"/v1/coupons/{created['id']}")["percent_off"] == shown


def test_applies_to_plans_of_the_tenant(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    mine = insert_plan(session_factory, merchant.account_id)
    live = insert_plan(session_factory, merchant.account_id, livemode=True)
    other = make_merchant(session_factory, api.client, "Other SRL")
    theirs = insert_plan(session_factory, other.account_id)

    created = api.ok("POST", "/v1/coupons", 201, json=coupon(applies_to_plans=[mine]))
    assert created["applies_to_plans"] == [mine]

    body = coupon(code="x", applies_to_plans=[mine, "plan_nope", live, theirs, mine])
    response = api.post("/v1/coupons", json=body)
    assert pointers(response) == [f"#/applies_to_plans/{i}" for i in (1, 2, 3, 4)]
    details = [e["detail"] for e in response.json()["errors"]]
    assert "plan_nope" in details[0]
    assert "twice" in details[3]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"percent_off": ...}, ["#/percent_off"]),
        ({"percent_off": None, "amounts_off": []}, ["#/percent_off"]),
        ({"amounts_off": FIXED["amounts_off"]}, ["#/amounts_off"]),
        ({"percent_off": 0}, ["#/percent_off"]),
        ({"percent_off": -5}, ["#/percent_off"]),
        ({"percent_off": 100.01}, ["#/percent_off"]),
        ({"percent_off": "12.12345"}, ["#/percent_off"]),
        ({"percent_off": "lots"}, ["#/percent_off"]),
        (
            {
                "percent_off": ...,
                "amounts_off": [
                    {"amount": 500, "currency": "RON"},
                    {"amount": 9, "currency": "ron"},
                ],
            },
            ["#/amounts_off/1/currency"],
        ),
        (
            {"percent_off": ..., "amounts_off": [{"amount": 0, "currency": "RON"}]},
            ["#/amounts_off/0/amount"],
        ),
        (
            {"percent_off": ..., "amounts_off": [{"amount": -1, "currency": "RON"}]},
            ["#/amounts_off/0/amount"],
        ),
        (
            {"percent_off": ..., "amounts_off": [{"amount": 1, "currency": "RNO"}]},
            ["#/amounts_off/0/currency"],
        ),
        ({"duration_in_periods": ...}, ["#/duration_in_periods"]),
        ({"duration": "once"}, ["#/duration_in_periods"]),
        ({"duration": "forever"}, ["#/duration_in_periods"]),
        ({"duration_in_periods": 0}, ["#/duration_in_periods"]),
        ({"duration_in_periods": 121}, ["#/duration_in_periods"]),
        ({"duration": "weekly"}, ["#/duration"]),
        ({"max_redemptions": 0}, ["#/max_redemptions"]),
        ({"max_redemptions": 2**40}, ["#/max_redemptions"]),
        ({"redeem_by": "2026-01-15T09:30:00Z"}, ["#/redeem_by"]),
        ({"redeem_by": "2025-12-31T00:00:00Z"}, ["#/redeem_by"]),
        ({"redeem_by": "2026-06-30T12:00:00"}, ["#/redeem_by"]),
        ({"code": "LAUNCH 20"}, ["#/code"]),
        ({"name": ""}, ["#/name"]),
        ({"metadata": {"k": "v" * 501}}, ["#/metadata"]),
        ({"times_redeemed": 5}, ["#/times_redeemed"]),
    ],
)
def test_invalid_fields_have_pointers(
    api: Api, changes: dict[str, Any], expected: list[str]
) -> None:
    assert pointers(api.post("/v1/coupons", json=coupon(**changes))) == expected


def test_repeating_boundaries_and_forever(api: Api) -> None:
    api.ok("POST", "/v1/coupons", 201, json=coupon(code="a", duration_in_periods=1))
    api.ok("POST", "/v1/coupons", 201, json=coupon(code="b", duration_in_periods=120))
    forever = coupon(code="c", duration="forever", duration_in_periods=...)
    assert api.ok("POST", "/v1/coupons", 201, json=forever)["duration"] == "forever"


def test_duplicate_code_is_a_conflict(api: Api, merchant: Merchant) -> None:
    api.ok("POST", "/v1/coupons", 201, json=LAUNCH)
    clash = api.post("/v1/coupons", json={**FIXED, "code": LAUNCH["code"]})
    assert clash.status_code == 409
    assert "launch-20" in clash.json()["detail"]
    merchant.live.ok("POST", "/v1/coupons", 201, json=LAUNCH)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("percent_off", 30),
        ("amounts_off", [{"amount": 100, "currency": "RON"}]),
        ("duration", "forever"),
        ("duration_in_periods", 6),
        ("applies_to_plans", []),
        ("code", "launch-30"),
    ],
)
def test_terms_cannot_be_patched(api: Api, field: str, value: Any) -> None:
    created = api.ok("POST", "/v1/coupons", 201, json=LAUNCH)
    response = api.patch(f"/v1/coupons/{created['id']}", json={field: value})
    assert pointers(response) == [f"#/{field}"]
    assert "cannot be changed" in response.json()["errors"][0]["detail"]
    assert api.ok("GET", f"/v1/coupons/{created['id']}") == created


def test_patch_limits_are_checked(api: Api, session_factory: sessionmaker[Session]) -> None:
    created = api.ok("POST", "/v1/coupons", 201, json=LAUNCH)
    path = f"/v1/coupons/{created['id']}"
    set_redeemed(session_factory, created["id"], 7)
    below = api.patch(path, json={"max_redemptions": 6})
    assert pointers(below) == ["#/max_redemptions"]
    assert "7" in below.json()["errors"][0]["detail"]
    assert api.ok("PATCH", path, json={"max_redemptions": 7})["max_redemptions"] == 7
    assert pointers(api.patch(path, json={"redeem_by": "2026-01-01T00:00:00Z"})) == ["#/redeem_by"]
    assert pointers(api.patch(path, json={"name": None})) == ["#/name"]
    later = api.ok("PATCH", path, json={"redeem_by": "2027-01-01T00:00:00Z"})
    assert later["redeem_by"] == "2027-01-01T00:00:00Z"
    assert later["times_redeemed"] == 7


def test_list_newest_first_with_filters_and_pages(api: Api) -> None:
    ids = [api.ok("POST", "/v1/coupons", 201, json=coupon(code=f"c-{i}"))["id"] for i in range(5)]
    api.ok("POST", f"/v1/coupons/{ids[2]}/archive")
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = api.ok("GET", "/v1/coupons", params=params)
        assert page["object"] == "list"
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    assert seen == sorted(ids, reverse=True)
    assert [c["id"] for c in api.ok("GET", "/v1/coupons", params={"code": "c-1"})["data"]] == [
        ids[1]
    ]
    archived = api.ok("GET", "/v1/coupons", params={"archived": "true"})
    assert [c["id"] for c in archived["data"]] == [ids[2]]


def test_other_tenants_and_modes_see_404(api: Api, merchant: Merchant) -> None:
    created = api.ok("POST", "/v1/coupons", 201, json=LAUNCH)
    path = f"/v1/coupons/{created['id']}"
    assert merchant.live.get(path).status_code == 404
    assert merchant.live.ok("GET", "/v1/coupons")["data"] == []
    other = make_merchant(api.client.app.state.session_factory, api.client, "Other SRL")
    assert other.api.get(path).status_code == 404
    assert other.api.patch(path, json={"name": "x"}).status_code == 404
    assert other.api.post(f"{path}/archive").status_code == 404
    assert api.get("/v1/coupons/cpn_nope").status_code == 404
