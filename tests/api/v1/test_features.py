from __future__ import annotations

from typing import Any

import pytest
from tests.api.v1.test_products import assert_problem
from tests.conftest import Api, Merchant, make_merchant

PROJECTS = {"code": "projects", "name": "Projects", "kind": "limit"}


@pytest.fixture
def metric(api: Api) -> str:
    body = {"code": "api_calls", "name": "API calls", "aggregation": "count"}
    metric_id: str = api.ok("POST", "/v1/billable_metrics", 201, json=body)["id"]
    return metric_id


def test_create_read_update_archive(api: Api) -> None:
    created = api.ok(
        "POST", "/v1/features", 201, json={**PROJECTS, "description": "Active projects"}
    )
    assert created["id"].startswith("feat_")
    assert created["object"] == "feature"
    assert (created["code"], created["name"], created["kind"]) == ("projects", "Projects", "limit")
    assert created["description"] == "Active projects"
    assert created["billable_metric"] is None
    assert (created["livemode"], created["archived"]) == (False, False)
    assert created["created_at"] == "2026-01-15T09:30:00Z"
    assert api.ok("GET", f"/v1/features/{created['id']}") == created

    renamed = api.ok("PATCH", f"/v1/features/{created['id']}", json={"name": "Open projects"})
    assert renamed["name"] == "Open projects"
    assert renamed["description"] == "Active projects"
    assert (renamed["code"], renamed["kind"]) == ("projects", "limit")
    cleared = api.ok("PATCH", f"/v1/features/{created['id']}", json={"description": None})
    assert cleared["description"] is None

    archived = api.ok("POST", f"/v1/features/{created['id']}/archive")
    assert archived["archived"] is True
    again = assert_problem(api.post(f"/v1/features/{created['id']}/archive"), 409)
    assert created["id"] in again["detail"]


def test_each_kind(api: Api, metric: str) -> None:
    sso = api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )
    calls = api.ok(
        "POST",
        "/v1/features",
        201,
        json={"code": "api", "name": "API", "kind": "metered", "billable_metric": metric},
    )
    assert (sso["kind"], sso["billable_metric"]) == ("boolean", None)
    assert (calls["kind"], calls["billable_metric"]) == ("metered", metric)
    assert api.ok("GET", f"/v1/features/{calls['id']}")["billable_metric"] == metric


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"kind": "metered"}, "#/billable_metric"),
        ({"kind": "limit", "billable_metric": "bm_x"}, "#/billable_metric"),
        ({"kind": "boolean", "billable_metric": "bm_x"}, "#/billable_metric"),
        ({"kind": "metered", "billable_metric": "bm_missing"}, "#/billable_metric"),
        ({"kind": "quota"}, "#/kind"),
        ({"kind": None}, "#/kind"),
        ({"code": "Projects"}, "#/code"),
        ({"code": "-projects"}, "#/code"),
        ({"code": "pro jects"}, "#/code"),
        ({"code": "p" * 65}, "#/code"),
        ({"code": ""}, "#/code"),
        ({"name": " "}, "#/name"),
        ({"description": "x" * 1001}, "#/description"),
        ({"metadata": {}}, "#/metadata"),
    ],
)
def test_invalid_features_point_at_the_field(api: Api, body: dict, pointer: str) -> None:
    problem = assert_problem(api.post("/v1/features", json={**PROJECTS, **body}), 422)
    assert problem["type"] == "urn:recura:problem:validation"
    assert [e["pointer"] for e in problem["errors"]] == [pointer]


@pytest.mark.parametrize("missing", ["code", "name", "kind"])
def test_required_fields(api: Api, missing: str) -> None:
    body = {k: v for k, v in PROJECTS.items() if k != missing}
    problem = assert_problem(api.post("/v1/features", json=body), 422)
    assert problem["errors"] == [{"pointer": f"#/{missing}", "detail": "is required"}]


def test_metered_feature_rejects_an_archived_or_foreign_metric(
    api: Api, merchant: Merchant, metric: str, session_factory: Any, client: Any
) -> None:
    other = make_merchant(session_factory, client, name="Alt Firma SRL")
    body = {"code": "other", "name": "Other", "aggregation": "count"}
    foreign = other.api.ok("POST", "/v1/billable_metrics", 201, json=body)["id"]
    live = merchant.live.ok("POST", "/v1/billable_metrics", 201, json=body)["id"]
    api.ok("POST", f"/v1/billable_metrics/{metric}/archive")
    for metric_id in (metric, foreign, live):
        response = api.post(
            "/v1/features",
            json={"code": "api", "name": "API", "kind": "metered", "billable_metric": metric_id},
        )
        problem = assert_problem(response, 422)
        assert [e["pointer"] for e in problem["errors"]] == ["#/billable_metric"]
        assert metric_id in problem["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"kind": "boolean"}, "#/kind"),
        ({"code": "renamed"}, "#/code"),
        ({"billable_metric": "bm_x"}, "#/billable_metric"),
        ({"name": ""}, "#/name"),
        ({"description": "x" * 1001}, "#/description"),
    ],
)
def test_code_kind_and_metric_are_fixed(api: Api, body: dict, pointer: str) -> None:
    # Plans and add-ons grant values by kind; changing it would void their grants.
    feature = api.ok("POST", "/v1/features", 201, json=PROJECTS)
    problem = assert_problem(api.patch(f"/v1/features/{feature['id']}", json=body), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    assert api.ok("GET", f"/v1/features/{feature['id']}") == feature


def test_code_is_unique_per_account_and_mode(
    api: Api, merchant: Merchant, session_factory: Any, client: Any
) -> None:
    first = api.ok("POST", "/v1/features", 201, json=PROJECTS)
    clash = assert_problem(
        api.post("/v1/features", json={**PROJECTS, "kind": "boolean", "name": "Other"}), 409
    )
    assert clash["type"] == "urn:recura:problem:conflict"
    assert "projects" in clash["detail"]
    assert first["id"] in clash["detail"]
    # An archived feature still holds its code: old grants keep pointing at it.
    api.ok("POST", f"/v1/features/{first['id']}/archive")
    assert_problem(api.post("/v1/features", json=PROJECTS), 409)
    merchant.live.ok("POST", "/v1/features", 201, json=PROJECTS)
    make_merchant(session_factory, client, name="Alt Firma SRL").api.ok(
        "POST", "/v1/features", 201, json=PROJECTS
    )


def test_list_filters_by_code_and_paginates(api: Api) -> None:
    ids = [
        api.ok("POST", "/v1/features", 201, json={**PROJECTS, "code": f"f{i}"})["id"]
        for i in range(5)
    ]
    newest_first = sorted(ids, reverse=True)
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = api.ok("GET", "/v1/features", params=params)
        assert page["object"] == "list"
        assert len(page["data"]) <= 2
        seen += [f["id"] for f in page["data"]]
        if not page["has_more"]:
            break
        params = {"limit": 2, "starting_after": page["data"][-1]["id"]}
    assert seen == newest_first
    by_code = api.ok("GET", "/v1/features", params={"code": "f3"})["data"]
    assert [f["id"] for f in by_code] == [ids[3]]
    assert api.ok("GET", "/v1/features", params={"code": "F3"})["data"] == []
    assert api.ok("GET", "/v1/features", params={"code": "nope"})["data"] == []
    after_last = api.ok("GET", "/v1/features", params={"starting_after": newest_first[-1]})
    assert (after_last["data"], after_last["has_more"]) == ([], False)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"code": "c" * 65}])
def test_bad_list_parameters(api: Api, params: dict) -> None:
    problem = assert_problem(api.get("/v1/features", params=params), 422)
    assert [e["parameter"] for e in problem["errors"]] == list(params)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/features/feat_nope"),
        ("PATCH", "/v1/features/feat_nope"),
        ("POST", "/v1/features/feat_nope/archive"),
    ],
)
def test_unknown_feature_is_404(api: Api, method: str, path: str) -> None:
    kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
    problem = assert_problem(api.request(method, path, **kwargs), 404)
    assert "feat_nope" in problem["detail"]


def test_another_tenants_feature_is_404(api: Api, session_factory: Any, client: Any) -> None:
    feature = api.ok("POST", "/v1/features", 201, json=PROJECTS)
    other = make_merchant(session_factory, client, name="Alt Firma SRL")
    assert_problem(other.api.get(f"/v1/features/{feature['id']}"), 404)
    assert_problem(other.api.post(f"/v1/features/{feature['id']}/archive"), 404)
    assert api.ok("GET", f"/v1/features/{feature['id']}")["archived"] is False
