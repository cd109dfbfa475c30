from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import Api, Merchant, make_merchant

STORAGE = {
    "code": "storage_gb",
    "name": "Storage (GB)",
    "description": "Peak storage, EU only",
    "aggregation": "max",
    "field_name": "gb",
    "filters": [{"property": "region", "values": ["eu-central-1", "eu-west-1"]}],
}


def metric(**changes: Any) -> dict[str, Any]:
    return {**STORAGE, **changes}


def problem_pointers(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["pointer"] for e in response.json()["errors"]]


def test_create_read_rename_archive(api: Api) -> None:
    created = api.ok("POST", "/v1/billable_metrics", 201, json=STORAGE)
    assert created["object"] == "billable_metric"
    assert created["id"].startswith("bm_")
    assert created["livemode"] is False
    assert created["archived"] is False
    assert created["created_at"] == "2026-01-15T09:30:00Z"
    assert {k: created[k] for k in STORAGE} == STORAGE
    assert api.ok("GET", f"/v1/billable_metrics/{created['id']}") == created

    renamed = api.ok(
        "PATCH",
        f"/v1/billable_metrics/{created['id']}",
        json={"name": "Peak storage", "description": None},
    )
    assert renamed["name"] == "Peak storage"
    assert renamed["description"] is None
    assert renamed["filters"] == STORAGE["filters"]

    archived = api.ok("POST", f"/v1/billable_metrics/{created['id']}/archive")
    assert archived["archived"] is True
    again = api.post(f"/v1/billable_metrics/{created['id']}/archive")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("aggregation", ["sum", "max", "unique_count", "latest"])
def test_aggregations_over_a_field(api: Api, aggregation: str) -> None:
    body = metric(code=f"m-{aggregation}", aggregation=aggregation, field_name="user.id")
    created = api.ok("POST", "/v1/billable_metrics", 201, json=body)
    assert (created["aggregation"], created["field_name"]) == (aggregation, "user.id")


def test_count_needs_no_field_and_filters_are_optional(api: Api) -> None:
    body = {"code": "api_calls", "name": "API calls", "aggregation": "count"}
    created = api.ok("POST", "/v1/billable_metrics", 201, json=body)
    assert created["field_name"] is None
    assert created["filters"] == []
    assert created["description"] is None


def test_duplicate_code_is_a_conflict(api: Api, merchant: Merchant) -> None:
    api.ok("POST", "/v1/billable_metrics", 201, json=STORAGE)
    clash = api.post("/v1/billable_metrics", json=metric(name="Other"))
    assert clash.status_code == 409
    assert "storage_gb" in clash.json()["detail"]
    # Another mode of the same account is another namespace.
    merchant.live.ok("POST", "/v1/billable_metrics", 201, json=STORAGE)


@pytest.mark.parametrize(
    ("changes", "pointers"),
    [
        ({"aggregation": "sum", "field_name": None}, ["#/field_name"]),
        ({"aggregation": "count", "field_name": "gb"}, ["#/field_name"]),
        ({"aggregation": "avg"}, ["#/aggregation"]),
        ({"code": "Storage GB"}, ["#/code"]),
        ({"code": ""}, ["#/code"]),
        ({"name": " "}, ["#/name"]),
        ({"field_name": "1gb"}, ["#/field_name"]),
        ({"filters": [{"property": "region", "values": []}]}, ["#/filters/0/values"]),
        ({"filters": [{"property": "region", "values": [""]}]}, ["#/filters/0/values/0"]),
        ({"filters": [{"property": "region", "values": ["x"] * 101}]}, ["#/filters/0/values"]),
        ({"filters": [{"property": "", "values": ["x"]}]}, ["#/filters/0/property"]),
        ({"filters": [{"property": "region"}]}, ["#/filters/0/values"]),
        (
            {"filters": [{"property": f"p{i}", "values": ["x"]} for i in range(21)]},
            ["#/filters"],
        ),
        (
            {
                "filters": [
                    {"property": "region", "values": ["a"]},
                    {"property": "tier", "values": ["b"]},
                    {"property": "region", "values": ["c"]},
                ]
            },
            ["#/filters/2/property"],
        ),
        ({"unit": "GB"}, ["#/unit"]),
    ],
)
def test_invalid_fields_have_pointers(
    api: Api, changes: dict[str, Any], pointers: list[str]
) -> None:
    assert problem_pointers(api.post("/v1/billable_metrics", json=metric(**changes))) == pointers


def test_twenty_filters_and_a_hundred_values_are_allowed(api: Api) -> None:
    filters = [{"property": f"p{i}", "values": [f"v{j}" for j in range(100)]} for i in range(20)]
    created = api.ok("POST", "/v1/billable_metrics", 201, json=metric(filters=filters))
    assert created["filters"] == filters


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("aggregation", "sum"),
        ("field_name", "bytes"),
        ("filters", []),
        ("code", "storage"),
    ],
)
def test_what_a_metric_counts_cannot_be_patched(api: Api, field: str, value: Any) -> None:
    created = api.ok("POST", "/v1/billable_metrics", 201, json=STORAGE)
    response = api.patch(f"/v1/billable_metrics/{created['id']}", json={field: value})
    assert problem_pointers(response) == [f"#/{field}"]
    assert "cannot be changed" in response.json()["errors"][0]["detail"]
    assert api.ok("GET", f"/v1/billable_metrics/{created['id']}") == created


def test_name_cannot_be_cleared(api: Api) -> None:
    created = api.ok("POST", "/v1/billable_metrics", 201, json=STORAGE)
    response = api.patch(f"/v1/billable_metrics/{created['id']}", json={"name": None})
    assert problem_pointers(response) == ["#/name"]


def test_list_newest_first_with_filters_and_pages(api: Api) -> None:
    ids = [
        api.ok("POST", "/v1/billable_metrics", 201, json=metric(code=f"metric-{i}"))["id"]
        for i in range(5)
    ]
    api.ok("POST", f"/v1/billable_metrics/{ids[0]}/archive")
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = api.ok("GET", "/v1/billable_metrics", params=params)
        assert page["object"] == "list"
        assert len(page["data"]) <= 2
        seen += [m["id"] for m in page["data"]]
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    assert seen == sorted(ids, reverse=True)

    by_code = api.ok("GET", "/v1/billable_metrics", params={"code": "metric-3"})
    assert [m["id"] for m in by_code["data"]] == [ids[3]]
    assert api.ok("GET", "/v1/billable_metrics", params={"code": "nope"})["data"] == []
    active = api.ok("GET", "/v1/billable_metrics", params={"archived": "false"})
    assert [m["id"] for m in active["data"]] == sorted(ids[1:], reverse=True)


def test_other_tenants_and_modes_see_404(api: Api, merchant: Merchant, client: Any) -> None:
    created = api.ok("POST", "/v1/billable_metrics", 201, json=STORAGE)
    path = f"/v1/billable_metrics/{created['id']}"
    assert merchant.live.get(path).status_code == 404
    assert merchant.live.ok("GET", "/v1/billable_metrics")["data"] == []
    other = make_merchant(client.app.state.session_factory, client, "Other SRL")
    assert other.api.get(path).status_code == 404
    assert other.api.patch(path, json={"name": "x"}).status_code == 404
    assert other.api.post(f"{path}/archive").status_code == 404
    assert api.get("/v1/billable_metrics/bm_nope").status_code == 404
