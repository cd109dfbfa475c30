from __future__ import annotations

from typing import Any

import pytest
from tests.api.v1.test_products import assert_problem
from tests.conftest import Api, Merchant, make_merchant

STORAGE = {
    "code": "extra-storage",
    "name": "Extra storage (100 GB)",
    "pricing_model": "per_unit",
    "prices": [
        {"currency": "RON", "unit_amount": "1500"},
        {"currency": "EUR", "unit_amount": "300"},
    ],
}


def price(currency: str, **fields: Any) -> dict[str, Any]:
    """A price as the API returns it: every field present, unused ones null."""
    out = {"currency": currency, "amount": None, "unit_amount": None, "tiers": None}
    return {**out, "package_size": None, **fields}


@pytest.fixture
def features(api: Api) -> dict[str, str]:
    def create(code: str, kind: str, **extra: Any) -> str:
        body = {"code": code, "name": code.upper(), "kind": kind, **extra}
        feature_id: str = api.ok("POST", "/v1/features", 201, json=body)["id"]
        return feature_id

    metric = api.ok(
        "POST",
        "/v1/billable_metrics",
        201,
        json={"code": "gb_stored", "name": "GB stored", "aggregation": "max", "field_name": "gb"},
    )
    return {
        "storage_gb": create("storage_gb", "limit"),
        "sso": create("sso", "boolean"),
        "backups": create("backups", "metered", billable_metric=metric["id"]),
    }


def test_create_read_update_archive(api: Api, features: dict[str, str]) -> None:
    body = {
        **STORAGE,
        "description": "Per 100 GB",
        "features": [
            {"feature": features["storage_gb"], "value": 100},
            {"feature": features["sso"], "value": True},
            {"feature": features["backups"], "value": None},
        ],
        "metadata": {"sku": "ST-100"},
    }
    created = api.ok("POST", "/v1/add_ons", 201, json=body)
    assert created["id"].startswith("addon_")
    assert created["object"] == "add_on"
    assert (created["code"], created["pricing_model"]) == ("extra-storage", "per_unit")
    assert created["prices"] == [
        price("RON", unit_amount="1500"),
        price("EUR", unit_amount="300"),
    ]
    # Grants come back with the feature's code and kind, ordered by code.
    assert created["features"] == [
        {"feature": features["backups"], "code": "backups", "kind": "metered", "value": None},
        {"feature": features["sso"], "code": "sso", "kind": "boolean", "value": True},
        {"feature": features["storage_gb"], "code": "storage_gb", "kind": "limit", "value": 100},
    ]
    assert created["metadata"] == {"sku": "ST-100"}
    assert (created["livemode"], created["archived"]) == (False, False)
    assert api.ok("GET", f"/v1/add_ons/{created['id']}") == created

    path = f"/v1/add_ons/{created['id']}"
    updated = api.ok(
        "PATCH",
        path,
        json={
            "name": "Extra storage",
            "features": [{"feature": features["storage_gb"], "value": 200}],
        },
    )
    assert updated["name"] == "Extra storage"
    assert [(g["code"], g["value"]) for g in updated["features"]] == [("storage_gb", 200)]
    assert updated["prices"] == created["prices"]
    untouched = api.ok("PATCH", path, json={"description": None})
    assert untouched["features"] == updated["features"]  # absent features stay as they were
    assert untouched["description"] is None
    cleared = api.ok("PATCH", path, json={"features": []})
    assert cleared["features"] == []

    archived = api.ok("POST", f"{path}/archive")
    assert archived["archived"] is True
    again = assert_problem(api.post(f"{path}/archive"), 409)
    assert created["id"] in again["detail"]


@pytest.mark.parametrize(
    ("model", "prices", "expected"),
    [
        ("flat", [{"currency": "RON", "amount": 4900}], [price("RON", amount=4900)]),
        ("free", [], []),
        (
            "package",
            [{"currency": "JPY", "amount": 500, "package_size": 100}],
            [price("JPY", amount=500, package_size=100)],
        ),
        (
            "tiered_volume",
            [
                {
                    "currency": "BHD",
                    "tiers": [
                        {"up_to": "10", "unit_amount": "1500"},
                        {"up_to": None, "unit_amount": "0.5", "flat_amount": 100},
                    ],
                }
            ],
            [
                price(
                    "BHD",
                    tiers=[
                        {"up_to": "10", "unit_amount": "1500", "flat_amount": 0},
                        {"up_to": None, "unit_amount": "0.5", "flat_amount": 100},
                    ],
                )
            ],
        ),
    ],
)
def test_every_pricing_model(api: Api, model: str, prices: list, expected: list) -> None:
    body = {
        "code": model.replace("_", "-"),
        "name": model,
        "pricing_model": model,
        "prices": prices,
    }
    created = api.ok("POST", "/v1/add_ons", 201, json=body)
    assert created["prices"] == expected
    assert api.ok("GET", f"/v1/add_ons/{created['id']}")["prices"] == expected


@pytest.mark.parametrize(
    ("over", "pointers"),
    [
        ({"prices": []}, ["#/prices"]),
        (
            {"prices": [{"currency": "RON", "amount": 1500}]},
            ["#/prices/0/amount", "#/prices/0/unit_amount"],
        ),
        (
            {"pricing_model": "flat"},
            [
                "#/prices/0/unit_amount",
                "#/prices/0/amount",
                "#/prices/1/unit_amount",
                "#/prices/1/amount",
            ],
        ),
        ({"pricing_model": "free"}, ["#/prices/0/unit_amount", "#/prices/1/unit_amount"]),
        (
            {
                "prices": [
                    {"currency": "RON", "unit_amount": "1"},
                    {"currency": "ron", "unit_amount": "2"},
                ]
            },
            ["#/prices/1/currency"],
        ),
        ({"prices": [{"currency": "RNO", "unit_amount": "1"}]}, ["#/prices/0/currency"]),
        ({"prices": [{"currency": "RON", "unit_amount": "-1"}]}, ["#/prices/0/unit_amount"]),
        (
            {"prices": [{"currency": "RON", "unit_amount": "0.0000000000001"}]},
            ["#/prices/0/unit_amount"],
        ),
        (
            {"prices": [{"currency": "RON", "unit_amount": "1", "colour": "red"}]},
            ["#/prices/0/colour"],
        ),
        (
            {
                "pricing_model": "tiered_graduated",
                "prices": [{"currency": "RON", "tiers": [{"up_to": "10", "unit_amount": "1"}]}],
            },
            ["#/prices/0/tiers/0/up_to"],
        ),
        (
            {
                "pricing_model": "tiered_graduated",
                "prices": [
                    {
                        "currency": "RON",
                        "tiers": [
                            {"up_to": "10", "unit_amount": "1"},
                            {"up_to": "5", "unit_amount": "1"},
                            {"up_to": None},
                        ],
                    }
                ],
            },
            ["#/prices/0/tiers/1/up_to"],
        ),
        (
            {
                "pricing_model": "package",
                "prices": [{"currency": "RON", "amount": 1, "package_size": 0}],
            },
            ["#/prices/0/package_size"],
        ),
        ({"pricing_model": "magic"}, ["#/pricing_model"]),
        ({"code": "Extra Storage"}, ["#/code"]),
        ({"name": ""}, ["#/name"]),
        ({"metadata": {"k": "v" * 501}}, ["#/metadata"]),
        ({"features": [{"feature": "feat_missing", "value": 1}]}, ["#/features/0/feature"]),
        ({"features": [{"value": 1}]}, ["#/features/0/feature"]),
        ({"features": [{"feature": "feat_x", "value": "10"}]}, ["#/features/0/value"]),
        ({"features": [{"feature": "feat_x", "value": 1.5}]}, ["#/features/0/value"]),
    ],
)
def test_invalid_add_ons_point_at_the_field(api: Api, over: dict, pointers: list[str]) -> None:
    problem = assert_problem(api.post("/v1/add_ons", json={**STORAGE, **over}), 422)
    assert problem["type"] == "urn:recura:problem:validation"
    assert sorted(e["pointer"] for e in problem["errors"]) == sorted(pointers)
    assert api.ok("GET", "/v1/add_ons")["data"] == []  # nothing half-created


def test_grant_values_must_match_the_feature_kind(api: Api, features: dict[str, str]) -> None:
    grants = [
        {"feature": features["sso"], "value": 3},
        {"feature": features["sso"], "value": None},
        {"feature": features["storage_gb"], "value": True},
        {"feature": features["storage_gb"], "value": -1},
        {"feature": features["storage_gb"], "value": 10**12 + 1},
        {"feature": features["backups"], "value": False},
    ]
    for grant in grants:
        problem = assert_problem(
            api.post("/v1/add_ons", json={**STORAGE, "features": [grant]}), 422
        )
        assert [e["pointer"] for e in problem["errors"]] == ["#/features/0/value"], grant
    ok = [
        {"feature": features["sso"], "value": False},
        {"feature": features["storage_gb"], "value": 0},
        {"feature": features["storage_gb"], "value": 10**12},
    ]
    for index, grant in enumerate(ok):
        body = {**STORAGE, "code": f"ok-{index}", "features": [grant]}
        assert (
            api.ok("POST", "/v1/add_ons", 201, json=body)["features"][0]["value"] == grant["value"]
        )


def test_grants_name_a_live_feature_once(api: Api, features: dict[str, str]) -> None:
    twice = [
        {"feature": features["sso"], "value": True},
        {"feature": features["sso"], "value": False},
    ]
    problem = assert_problem(api.post("/v1/add_ons", json={**STORAGE, "features": twice}), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["#/features/1/feature"]
    api.ok("POST", f"/v1/features/{features['sso']}/archive")
    grant = [
        {"feature": features["storage_gb"], "value": 1},
        {"feature": features["sso"], "value": True},
    ]
    problem = assert_problem(api.post("/v1/add_ons", json={**STORAGE, "features": grant}), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["#/features/1/feature"]
    assert "archived" in problem["errors"][0]["detail"]


def test_another_tenants_feature_cannot_be_granted(
    api: Api, session_factory: Any, client: Any
) -> None:
    other = make_merchant(session_factory, client, name="Alt Firma SRL")
    foreign = other.api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )
    grant = [{"feature": foreign["id"], "value": True}]
    problem = assert_problem(api.post("/v1/add_ons", json={**STORAGE, "features": grant}), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["#/features/0/feature"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"prices": [{"currency": "RON", "unit_amount": "2000"}]}, "#/prices"),
        ({"pricing_model": "flat"}, "#/pricing_model"),
        ({"code": "renamed"}, "#/code"),
        ({"name": ""}, "#/name"),
        ({"features": [{"feature": "feat_missing", "value": 1}]}, "#/features/0/feature"),
    ],
)
def test_prices_and_identity_are_fixed(api: Api, body: dict, pointer: str) -> None:
    # Subscriptions already bill at these prices; repricing is a new add-on.
    add_on = api.ok("POST", "/v1/add_ons", 201, json=STORAGE)
    problem = assert_problem(api.patch(f"/v1/add_ons/{add_on['id']}", json=body), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    assert api.ok("GET", f"/v1/add_ons/{add_on['id']}") == add_on


def test_code_is_unique_per_account_and_mode(
    api: Api, merchant: Merchant, session_factory: Any, client: Any
) -> None:
    first = api.ok("POST", "/v1/add_ons", 201, json=STORAGE)
    clash = assert_problem(api.post("/v1/add_ons", json={**STORAGE, "name": "Other"}), 409)
    assert "extra-storage" in clash["detail"]
    assert first["id"] in clash["detail"]
    api.ok("POST", f"/v1/add_ons/{first['id']}/archive")
    assert_problem(api.post("/v1/add_ons", json=STORAGE), 409)  # archived codes stay taken
    merchant.live.ok("POST", "/v1/add_ons", 201, json=STORAGE)
    make_merchant(session_factory, client, name="Alt Firma SRL").api.ok(
        "POST", "/v1/add_ons", 201, json=STORAGE
    )


def test_list_filters_by_code_and_paginates(api: Api, features: dict[str, str]) -> None:
    grant = [{"feature": features["sso"], "value": True}]
    ids = [
        api.ok("POST", "/v1/add_ons", 201, json={**STORAGE, "code": f"a{i}", "features": grant})[
            "id"
        ]
        for i in range(5)
    ]
    newest_first = sorted(ids, reverse=True)
    page1 = api.ok("GET", "/v1/add_ons", params={"limit": 3})
    assert [a["id"] for a in page1["data"]] == newest_first[:3]
    assert page1["has_more"] is True
    # A page loads every add-on's grants, not only the first one's.
    assert all(a["features"][0]["code"] == "sso" for a in page1["data"])
    page2 = api.ok("GET", "/v1/add_ons", params={"limit": 3, "starting_after": newest_first[2]})
    assert [a["id"] for a in page2["data"]] == newest_first[3:]
    assert page2["has_more"] is False
    by_code = api.ok("GET", "/v1/add_ons", params={"code": "a2"})["data"]
    assert [a["id"] for a in by_code] == [ids[2]]
    assert api.ok("GET", "/v1/add_ons", params={"code": "nope"})["data"] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/add_ons/addon_nope"),
        ("PATCH", "/v1/add_ons/addon_nope"),
        ("POST", "/v1/add_ons/addon_nope/archive"),
    ],
)
def test_unknown_add_on_is_404(api: Api, method: str, path: str) -> None:
    kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
    problem = assert_problem(api.request(method, path, **kwargs), 404)
    assert "addon_nope" in problem["detail"]


def test_another_tenants_add_on_is_404(api: Api, merchant: Merchant) -> None:
    add_on = api.ok("POST", "/v1/add_ons", 201, json=STORAGE)
    assert_problem(merchant.live.get(f"/v1/add_ons/{add_on['id']}"), 404)
    assert_problem(merchant.live.patch(f"/v1/add_ons/{add_on['id']}", json={"name": "x"}), 404)
    assert api.ok("GET", f"/v1/add_ons/{add_on['id']}") == add_on


def test_an_add_on_has_its_own_vat_rate_kind(api: Api) -> None:
    storage = api.ok("POST", "/v1/add_ons", 201, json=STORAGE)
    assert storage["tax_rate_kind"] == "standard"
    body = {**STORAGE, "code": "e-books", "name": "E-books", "tax_rate_kind": "reduced"}
    books = api.ok("POST", "/v1/add_ons", 201, json=body)
    assert books["tax_rate_kind"] == "reduced"
    path = f"/v1/add_ons/{books['id']}"
    assert api.ok("GET", path)["tax_rate_kind"] == "reduced"
    assert api.ok("PATCH", path, json={"tax_rate_kind": "standard"})["tax_rate_kind"] == "standard"
    assert api.ok("GET", path)["tax_rate_kind"] == "standard"
    response = api.request("PATCH", path, json={"tax_rate_kind": "zero"})
    assert response.status_code == 422, response.text


def test_an_add_on_says_what_it_sells(api: Api) -> None:
    storage = api.ok("POST", "/v1/add_ons", 201, json=STORAGE)
    assert storage["supply_nature"] == "electronic"
    body = {**STORAGE, "code": "setup-visit", "name": "Setup visit", "supply_nature": "services"}
    visit = api.ok("POST", "/v1/add_ons", 201, json=body)
    assert visit["supply_nature"] == "services"
    path = f"/v1/add_ons/{visit['id']}"
    assert api.ok("GET", path)["supply_nature"] == "services"
    assert api.ok("PATCH", path, json={"supply_nature": "goods"})["supply_nature"] == "goods"
    assert api.ok("GET", path)["supply_nature"] == "goods"
    for wrong in ("digital", None):
        problem = assert_problem(api.request("PATCH", path, json={"supply_nature": wrong}), 422)
        assert "#/supply_nature" in [e["pointer"] for e in problem["errors"]]
    body = {**STORAGE, "code": "other", "supply_nature": "food"}
    problem = assert_problem(api.request("POST", "/v1/add_ons", json=body), 422)
    assert "#/supply_nature" in [e["pointer"] for e in problem["errors"]]
    assert api.ok("GET", path)["supply_nature"] == "goods"
