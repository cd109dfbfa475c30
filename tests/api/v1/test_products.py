from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import Api, Merchant, make_merchant

CRM = {
    "name": "Norditech CRM",
    "description": "CRM for small teams",
    "metadata": {"sku": "CRM-1"},
}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail"} <= problem.keys()
    return problem


def test_create_read_update_archive(api: Api) -> None:
    created = api.ok("POST", "/v1/products", 201, json=CRM)
    assert created["id"].startswith("prod_")
    assert created["object"] == "product"
    assert created["name"] == "Norditech CRM"
    assert created["description"] == "CRM for small teams"
    assert created["metadata"] == {"sku": "CRM-1"}
    assert (created["livemode"], created["archived"]) == (False, False)
    assert created["created_at"] == "2026-01-15T09:30:00Z"
    assert api.ok("GET", f"/v1/products/{created['id']}") == created

    updated = api.ok(
        "PATCH",
        f"/v1/products/{created['id']}",
        json={"name": "  Norditech CRM Pro  ", "metadata": {"tier": "pro", "sku": ""}},
    )
    assert updated["name"] == "Norditech CRM Pro"  # surrounding whitespace is not part of a name
    assert updated["metadata"] == {"tier": "pro"}  # merged; a key sent as "" is removed
    assert updated["description"] == "CRM for small teams"  # absent fields stay as they were
    cleared = api.ok("PATCH", f"/v1/products/{created['id']}", json={"description": None})
    assert cleared["description"] is None
    assert cleared["name"] == "Norditech CRM Pro"

    archived = api.ok("POST", f"/v1/products/{created['id']}/archive")
    assert archived["archived"] is True
    assert api.ok("GET", f"/v1/products/{created['id']}")["archived"] is True
    again = assert_problem(api.post(f"/v1/products/{created['id']}/archive"), 409)
    assert created["id"] in again["detail"]


def test_minimal_product_has_defaults(api: Api) -> None:
    created = api.ok("POST", "/v1/products", 201, json={"name": "Backup"})
    assert (created["description"], created["metadata"]) == (None, {})


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "#/name"),
        ({"name": ""}, "#/name"),
        ({"name": "   "}, "#/name"),
        ({"name": "x" * 201}, "#/name"),
        ({"name": 7}, "#/name"),
        ({"name": "CRM", "description": "x" * 1001}, "#/description"),
        ({"name": "CRM", "metadata": {"k": "v" * 501}}, "#/metadata"),
        ({"name": "CRM", "metadata": {"": "v"}}, "#/metadata"),
        ({"name": "CRM", "metadata": {f"k{i}": "v" for i in range(51)}}, "#/metadata"),
        ({"name": "CRM", "metadata": {"k": 1}}, "#/metadata/k"),
        ({"name": "CRM", "code": "crm"}, "#/code"),
    ],
)
def test_invalid_products_point_at_the_field(api: Api, body: dict, pointer: str) -> None:
    problem = assert_problem(api.post("/v1/products", json=body), 422)
    assert problem["type"] == "urn:recura:problem:validation"
    assert [e["pointer"] for e in problem["errors"]] == [pointer]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": ""}, "#/name"),
        ({"description": "x" * 1001}, "#/description"),
        ({"metadata": {"k": "v" * 501}}, "#/metadata"),
        ({"archived": True}, "#/archived"),
    ],
)
def test_invalid_updates_point_at_the_field(api: Api, body: dict, pointer: str) -> None:
    product = api.ok("POST", "/v1/products", 201, json=CRM)
    problem = assert_problem(api.patch(f"/v1/products/{product['id']}", json=body), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    assert api.ok("GET", f"/v1/products/{product['id']}") == product  # nothing was saved


def test_list_is_newest_first_and_paginates(api: Api) -> None:
    ids = [api.ok("POST", "/v1/products", 201, json={"name": f"P{i}"})["id"] for i in range(5)]
    newest_first = sorted(ids, reverse=True)
    page1 = api.ok("GET", "/v1/products", params={"limit": 2})
    assert page1["object"] == "list"
    assert [p["id"] for p in page1["data"]] == newest_first[:2]
    assert page1["has_more"] is True
    page2 = api.ok("GET", "/v1/products", params={"limit": 2, "starting_after": newest_first[1]})
    assert [p["id"] for p in page2["data"]] == newest_first[2:4]
    assert page2["has_more"] is True
    page3 = api.ok("GET", "/v1/products", params={"limit": 2, "starting_after": newest_first[3]})
    assert [p["id"] for p in page3["data"]] == newest_first[4:]
    assert page3["has_more"] is False
    everything = api.ok("GET", "/v1/products", params={"limit": 100})
    assert [p["id"] for p in everything["data"]] == newest_first
    assert everything["has_more"] is False
    default = api.ok("GET", "/v1/products")
    assert len(default["data"]) == 5


def test_archived_products_stay_listed(api: Api) -> None:
    # Archiving hides a product from new sales, not from the catalog's history.
    product = api.ok("POST", "/v1/products", 201, json=CRM)
    api.ok("POST", f"/v1/products/{product['id']}/archive")
    listed = api.ok("GET", "/v1/products")["data"]
    assert [(p["id"], p["archived"]) for p in listed] == [(product["id"], True)]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"starting_after": "x" * 41}],
)
def test_bad_page_parameters(api: Api, params: dict) -> None:
    problem = assert_problem(api.get("/v1/products", params=params), 422)
    assert [e["parameter"] for e in problem["errors"]] == list(params)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/products/prod_nope"),
        ("PATCH", "/v1/products/prod_nope"),
        ("POST", "/v1/products/prod_nope/archive"),
    ],
)
def test_unknown_product_is_404(api: Api, method: str, path: str) -> None:
    kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
    problem = assert_problem(api.request(method, path, **kwargs), 404)
    assert problem["type"] == "urn:recura:problem:not-found"
    assert "prod_nope" in problem["detail"]


def test_other_tenants_and_live_mode_cannot_see_a_product(
    api: Api, merchant: Merchant, session_factory: Any, client: Any
) -> None:
    product = api.ok("POST", "/v1/products", 201, json=CRM)
    path = f"/v1/products/{product['id']}"
    other = make_merchant(session_factory, client, name="Alt Firma SRL")
    for stranger in (other.api, merchant.live):
        assert_problem(stranger.get(path), 404)
        assert_problem(stranger.patch(path, json={"name": "Stolen"}), 404)
        assert_problem(stranger.post(f"{path}/archive"), 404)
        assert stranger.ok("GET", "/v1/products")["data"] == []
    assert api.ok("GET", path) == product


def test_requests_without_a_valid_key_are_401(client: Any) -> None:
    for headers in ({}, {"Authorization": "Bearer rk_test_wrong"}, {"Authorization": "Basic x"}):
        response = client.get("/v1/products", headers=headers)
        problem = assert_problem(response, 401)
        assert problem["type"] == "urn:recura:problem:unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


def test_an_unsupported_method_names_the_allowed_ones(api: Api) -> None:
    # Starlette's own 405 lists only the first route's methods (GET), hiding PATCH.
    product = api.ok("POST", "/v1/products", 201, json=CRM)
    response = api.request("DELETE", f"/v1/products/{product['id']}")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, PATCH"
    collection = api.request("PUT", "/v1/products")
    assert_problem(collection, 405)
    assert collection.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\xfa", b""])
def test_a_body_that_is_not_json_is_a_422(api: Api, content: bytes) -> None:
    response = api.post(
        "/v1/products", content=content, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["pointer"].startswith("#")
