from __future__ import annotations

from typing import Any

import pytest
from tests.api.v1.test_products import assert_problem
from tests.conftest import T0, Api, Merchant

from recura.db.models import BillableMetric
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.ids import new_id


def metric(merchant: Merchant, factory: Any, code: str = "api_calls") -> str:
    # Billable metrics have their own endpoint; a row is enough to attach charges.
    tenant = Tenant(merchant.account_id, livemode=False)
    metric_id = new_id("billable_metric")
    with unit_of_work(factory) as session:
        session.add(
            BillableMetric(
                id=metric_id,
                **tenant.row_keys(),
                code=code,
                name=code.replace("_", " "),
                description=None,
                aggregation="count",
                field_name=None,
                filters=[],
                archived_at=None,
                created_at=T0,
                updated_at=T0,
            )
        )
    return metric_id


@pytest.fixture
def product(api: Api) -> str:
    return api.ok("POST", "/v1/products", 201, json={"name": "Norditech CRM"})["id"]


def plan_body(product_id: str, **over: Any) -> dict[str, Any]:
    body = {
        "product": product_id,
        "code": "starter",
        "name": "Starter",
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 4900}, {"currency": "EUR", "amount": 990}],
    }
    return {**body, **over}


def test_create_plan_with_charges_and_features(
    api: Api, merchant: Merchant, session_factory, product: str
) -> None:
    api_calls = metric(merchant, session_factory)
    projects = api.ok(
        "POST", "/v1/features", 201, json={"code": "projects", "name": "Projects", "kind": "limit"}
    )
    sso = api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )
    plan = api.ok(
        "POST",
        "/v1/plans",
        201,
        json=plan_body(
            product,
            code="pro",
            pricing_model="per_unit",
            prices=[{"currency": "RON", "unit_amount": "2900"}],
            min_quantity="1",
            max_quantity="500",
            trial_days=14,
            setup_fees=[{"amount": 10000, "currency": "RON"}],
            charges=[
                {
                    "billable_metric": api_calls,
                    "pricing_model": "tiered_graduated",
                    "prices": [
                        {
                            "currency": "RON",
                            "tiers": [
                                {"up_to": "10000", "unit_amount": "0"},
                                {"up_to": None, "unit_amount": "0.5"},
                            ],
                        }
                    ],
                }
            ],
            features=[
                {"feature": projects["id"], "value": 50},
                {"feature": sso["id"], "value": True},
            ],
        ),
    )
    assert plan["id"].startswith("plan_")
    version = plan["current_version"]
    assert version["version"] == 1
    assert version["prices"] == [
        {
            "currency": "RON",
            "amount": None,
            "unit_amount": "2900",
            "tiers": None,
            "package_size": None,
        }
    ]
    assert version["charges"][0]["billable_metric_code"] == "api_calls"
    assert version["setup_fees"] == [{"amount": 10000, "currency": "RON"}]
    assert {g["code"]: g["value"] for g in plan["features"]} == {"projects": 50, "sso": True}
    assert api.ok("GET", f"/v1/plans/{plan['id']}") == plan

    q = api.ok(
        "POST",
        f"/v1/plans/{plan['id']}/quote",
        json={
            "currency": "RON",
            "quantity": "3",
            "usage": {"api_calls": "12001"},
            "include_setup_fee": True,
        },
    )
    assert [(line["kind"], line["amount"]["amount"]) for line in q["lines"]] == [
        ("setup_fee", 10000),
        ("unit", 8700),
        ("tier", 0),
        ("tier", 1001),  # 2001 calls at 0.5 bani, rounded once: 1000.5 -> 1001
    ]
    assert q["total"] == {"amount": 19701, "currency": "RON"}


def test_price_change_creates_a_version_and_keeps_the_old(api: Api, product: str) -> None:
    plan = api.ok("POST", "/v1/plans", 201, json=plan_body(product))
    same = api.ok("PATCH", f"/v1/plans/{plan['id']}", json={"prices": plan_body(product)["prices"]})
    assert same["current_version"]["version"] == 1
    renamed = api.ok("PATCH", f"/v1/plans/{plan['id']}", json={"name": "Starter 2026"})
    assert renamed["current_version"]["id"] == plan["current_version"]["id"]
    changed = api.ok(
        "PATCH",
        f"/v1/plans/{plan['id']}",
        json={"prices": [{"currency": "RON", "amount": 5900}, {"currency": "EUR", "amount": 1190}]},
    )
    assert changed["current_version"]["version"] == 2
    versions = api.ok("GET", f"/v1/plans/{plan['id']}/versions")["data"]
    assert [v["version"] for v in versions] == [2, 1]
    v1 = api.ok("GET", f"/v1/plans/{plan['id']}/versions/1")
    assert (v1["prices"][0]["currency"], v1["prices"][0]["amount"]) == ("RON", 4900)
    old = api.ok("POST", f"/v1/plans/{plan['id']}/quote", json={"currency": "RON", "version": 1})
    new = api.ok("POST", f"/v1/plans/{plan['id']}/quote", json={"currency": "RON"})
    assert (old["total"]["amount"], new["total"]["amount"]) == (4900, 5900)
    assert api.get(f"/v1/plans/{plan['id']}/versions/3").status_code == 404


def test_the_vat_rate_kind_is_set_read_and_changed_in_place(api: Api, product: str) -> None:
    standard = api.ok("POST", "/v1/plans", 201, json=plan_body(product))
    assert standard["tax_rate_kind"] == "standard"
    body = plan_body(product, code="gazeta", tax_rate_kind="reduced")
    plan = api.ok("POST", "/v1/plans", 201, json=body)
    assert plan["tax_rate_kind"] == "reduced"
    assert api.ok("GET", f"/v1/plans/{plan['id']}")["tax_rate_kind"] == "reduced"
    listed = api.ok("GET", "/v1/plans")["data"]
    assert {p["code"]: p["tax_rate_kind"] for p in listed} == {
        "starter": "standard",
        "gazeta": "reduced",
    }
    # The kind is the law's view of what is sold, not a price: no new version.
    path = f"/v1/plans/{plan['id']}"
    changed = api.ok("PATCH", path, json={"tax_rate_kind": "reduced_lower"})
    assert changed["tax_rate_kind"] == "reduced_lower"
    assert changed["current_version"]["id"] == plan["current_version"]["id"]
    assert api.ok("PATCH", path, json={"name": "Gazeta"})["tax_rate_kind"] == "reduced_lower"
    for wrong in ("super_reduced", None):
        response = api.request("PATCH", path, json={"tax_rate_kind": wrong})
        assert response.status_code == 422, response.text
        assert "#/tax_rate_kind" in [e["pointer"] for e in response.json()["errors"]]


def test_the_openapi_document_offers_the_rate_kinds(api: Api) -> None:
    schemas = api.ok("GET", "/openapi.json")["components"]["schemas"]
    for name in ("PlanCreate", "PlanUpdate", "PlanOut", "AddOnCreate", "AddOnUpdate", "AddOnOut"):
        field = schemas[name]["properties"]["tax_rate_kind"]
        assert "reduced" in field["description"], name
    assert schemas["RateKind"]["enum"] == ["standard", "reduced", "reduced_lower"]


def test_the_supply_nature_is_set_read_and_changed_in_place(api: Api, product: str) -> None:
    software = api.ok("POST", "/v1/plans", 201, json=plan_body(product))
    assert software["supply_nature"] == "electronic"
    body = plan_body(product, code="box", supply_nature="goods")
    plan = api.ok("POST", "/v1/plans", 201, json=body)
    assert plan["supply_nature"] == "goods"
    path = f"/v1/plans/{plan['id']}"
    assert api.ok("GET", path)["supply_nature"] == "goods"
    listed = api.ok("GET", "/v1/plans")["data"]
    assert {p["code"]: p["supply_nature"] for p in listed} == {
        "starter": "electronic",
        "box": "goods",
    }
    # What is sold is the law's view, not a price: no new version; the rate kind stays.
    changed = api.ok("PATCH", path, json={"supply_nature": "services"})
    assert (changed["supply_nature"], changed["tax_rate_kind"]) == ("services", "standard")
    assert changed["current_version"]["id"] == plan["current_version"]["id"]
    assert api.ok("PATCH", path, json={"name": "Box"})["supply_nature"] == "services"
    for wrong in ("digital", None):
        problem = assert_problem(api.request("PATCH", path, json={"supply_nature": wrong}), 422)
        assert "#/supply_nature" in [e["pointer"] for e in problem["errors"]]
    refused = api.request("POST", "/v1/plans", json=plan_body(product, supply_nature="food"))
    problem = assert_problem(refused, 422)
    assert "#/supply_nature" in [e["pointer"] for e in problem["errors"]]
    assert api.ok("GET", path)["supply_nature"] == "services"


def test_the_openapi_document_offers_the_supply_natures(api: Api) -> None:
    schemas = api.ok("GET", "/openapi.json")["components"]["schemas"]
    for name in ("PlanCreate", "PlanUpdate", "PlanOut", "AddOnCreate", "AddOnUpdate", "AddOnOut"):
        field = schemas[name]["properties"]["supply_nature"]
        assert "intra-community" in field["description"], name
    assert schemas["Nature"]["enum"] == ["electronic", "services", "goods"]
    (example,) = schemas["PlanOut"]["examples"]
    assert example["supply_nature"] == "electronic"


@pytest.mark.parametrize(
    ("over", "pointer"),
    [
        ({"prices": []}, "#/prices"),
        ({"prices": [{"currency": "RON", "unit_amount": "5"}]}, "#/prices/0/unit_amount"),
        ({"prices": [{"currency": "RON"}]}, "#/prices/0/amount"),
        (
            {"prices": [{"currency": "RON", "amount": 1}, {"currency": "RON", "amount": 2}]},
            "#/prices/1/currency",
        ),
        (
            {
                "pricing_model": "tiered_volume",
                "prices": [
                    {
                        "currency": "RON",
                        "tiers": [
                            {"up_to": "10", "unit_amount": "1"},
                            {"up_to": "5", "unit_amount": "1"},
                        ],
                    }
                ],
            },
            "#/prices/0/tiers/1/up_to",
        ),
        (
            {
                "pricing_model": "per_unit",
                "prices": [{"currency": "RON", "unit_amount": "1"}],
                "min_quantity": "5",
                "max_quantity": "2",
            },
            "#/max_quantity",
        ),
        ({"interval_unit": "year", "interval_count": 4}, "#/interval_count"),
        ({"product": "prod_missing"}, "#/product"),
        (
            {"charges": [{"billable_metric": "bm_missing", "pricing_model": "free"}]},
            "#/charges/0/billable_metric",
        ),
        ({"features": [{"feature": "feat_missing", "value": 1}]}, "#/features/0/feature"),
        ({"pricing_model": "magic"}, "#/pricing_model"),
        ({"prices": [{"currency": "RON", "amount": -1}]}, "#/prices/0/amount"),
    ],
)
def test_invalid_plans_point_at_the_field(api: Api, product: str, over: dict, pointer: str) -> None:
    response = api.post("/v1/plans", json=plan_body(product, **over))
    assert response.status_code == 422, response.text
    assert pointer in [e["pointer"] for e in response.json()["errors"]]


def test_a_bounded_last_tier_is_refused_in_json_terms(api: Api, product: str) -> None:
    tiers = [{"up_to": "10", "unit_amount": "1"}, {"up_to": "20", "unit_amount": "1"}]
    body = plan_body(
        product, pricing_model="tiered_volume", prices=[{"currency": "RON", "tiers": tiers}]
    )
    (error,) = api.post("/v1/plans", json=body).json()["errors"]
    assert error == {
        "pointer": "#/prices/0/tiers/1/up_to",
        "detail": "the last tier must be unbounded (up_to: null)",
    }


def test_feature_values_must_match_their_kind(api: Api, product: str) -> None:
    sso = api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )
    seats = api.ok(
        "POST", "/v1/features", 201, json={"code": "seats", "name": "Seats", "kind": "limit"}
    )
    bad = api.post(
        "/v1/plans",
        json=plan_body(
            product,
            features=[{"feature": sso["id"], "value": 3}, {"feature": seats["id"], "value": True}],
        ),
    )
    assert [e["pointer"] for e in bad.json()["errors"]] == [
        "#/features/0/value",
        "#/features/1/value",
    ]
    ok = api.ok(
        "POST",
        "/v1/plans",
        201,
        json=plan_body(product, features=[{"feature": seats["id"], "value": None}]),
    )
    assert ok["features"][0]["value"] is None  # unlimited


def test_plan_code_unique_and_filters(api: Api, product: str) -> None:
    first = api.ok("POST", "/v1/plans", 201, json=plan_body(product))
    assert api.post("/v1/plans", json=plan_body(product)).status_code == 409
    other = api.ok(
        "POST",
        "/v1/plans",
        201,
        json=plan_body(product, code="free", pricing_model="free", prices=[]),
    )
    assert [p["id"] for p in api.ok("GET", "/v1/plans", params={"code": "free"})["data"]] == [
        other["id"]
    ]
    api.ok("POST", f"/v1/plans/{first['id']}/archive")
    active = api.ok("GET", "/v1/plans", params={"archived": "false"})["data"]
    assert [p["id"] for p in active] == [other["id"]]
    free_quote = api.ok("POST", f"/v1/plans/{other['id']}/quote", json={"currency": "JPY"})
    assert free_quote["total"] == {"amount": 0, "currency": "JPY"}


def test_quote_rejects_what_the_plan_cannot_price(api: Api, product: str) -> None:
    plan = api.ok(
        "POST",
        "/v1/plans",
        201,
        json=plan_body(
            product,
            pricing_model="per_unit",
            prices=[{"currency": "RON", "unit_amount": "100"}],
            max_quantity="10",
        ),
    )
    path = f"/v1/plans/{plan['id']}/quote"
    cases = [
        ({"currency": "EUR"}, "#/currency"),
        ({"currency": "RON", "quantity": "11"}, "#/quantity"),
        ({"currency": "RON", "usage": {"storage": "1"}}, "#/usage/storage"),
        ({"currency": "RON", "version": 9}, "#/version"),
        ({"currency": "RON", "quantity": "-1"}, "#/quantity"),
    ]
    for body, pointer in cases:
        response = api.post(path, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["pointer"] == pointer


def test_package_and_volume_quotes_in_zero_and_three_decimal_currencies(
    api: Api, product: str
) -> None:
    package = api.ok(
        "POST",
        "/v1/plans",
        201,
        json=plan_body(
            product,
            code="sms",
            pricing_model="package",
            prices=[{"currency": "JPY", "amount": 500, "package_size": 100}],
        ),
    )
    q = api.ok(
        "POST", f"/v1/plans/{package['id']}/quote", json={"currency": "JPY", "quantity": "250"}
    )
    assert q["total"] == {"amount": 1500, "currency": "JPY"}
    volume = api.ok(
        "POST",
        "/v1/plans",
        201,
        json=plan_body(
            product,
            code="seats-bhd",
            pricing_model="tiered_volume",
            prices=[
                {
                    "currency": "BHD",
                    "tiers": [
                        {"up_to": "10", "unit_amount": "1500"},
                        {"up_to": None, "unit_amount": "1250", "flat_amount": 100},
                    ],
                }
            ],
        ),
    )
    at_10 = api.ok(
        "POST", f"/v1/plans/{volume['id']}/quote", json={"currency": "BHD", "quantity": "10"}
    )
    at_11 = api.ok(
        "POST", f"/v1/plans/{volume['id']}/quote", json={"currency": "BHD", "quantity": "11"}
    )
    assert at_10["total"]["amount"] == 15000  # 10 x 1.500 BHD, fils are minor units
    assert at_11["total"]["amount"] == 11 * 1250 + 100
