"""The published OpenAPI document: version, examples that are right, problem+json errors, docs.

Integrators generate clients and copy examples from it, so a wrong example is a bug. None of
this touches the database, so the app here runs on an in-memory SQLite it never opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from tests.conftest import SECRET
from tests.event_contract import webhook_schema
from tests.factories import sample_payload

from recura.api.app import create_app
from recura.api.problems import PROBLEM_MEDIA_TYPE
from recura.config import Settings
from recura.domains.events.payloads import EventType

METHODS = {"get", "post", "put", "patch", "delete"}
REF_PREFIX = "#/components/schemas/"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(database_url="sqlite:///:memory:", secret_key=SECRET))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def http(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def spec(http: TestClient) -> dict[str, Any]:
    response = http.get("/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def body_ref(operation: dict[str, Any]) -> str | None:
    body = operation.get("requestBody")
    if body is None or "application/json" not in body["content"]:
        return None  # a file upload (a bank statement) has no JSON model
    schema = body["content"]["application/json"]["schema"]
    # An optional body (a ping that may send nothing) is its model or null.
    (ref,) = [s["$ref"] for s in schema.get("anyOf", [schema]) if "$ref" in s]
    return str(ref).removeprefix(REF_PREFIX)


def test_the_document_is_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1."), spec["openapi"]
    assert spec["info"]["title"] == "Recura API"
    assert len(list(operations(spec))) >= 40


def test_every_schema_has_examples(spec: dict[str, Any]) -> None:
    missing = sorted(
        name
        for name, schema in spec["components"]["schemas"].items()
        if not (schema.get("examples") or schema.get("example"))
    )
    assert not missing, f"schemas without examples: {missing}"


def test_every_example_matches_its_schema(spec: dict[str, Any]) -> None:
    # The spec's own JSON Schema 2020-12 (what generated clients see), refs resolved in place.
    components = spec["components"]
    wrong = []
    for name, schema in components["schemas"].items():
        validator = jsonschema_rs.Draft202012Validator(
            {"$ref": REF_PREFIX + name, "components": components}
        )
        examples = schema.get("examples") or [schema.get("example")]
        for index, item in enumerate(examples):
            for error in validator.iter_errors(item):
                wrong.append(f"{name}[{index}]: {str(error).splitlines()[0]}")
                break
    assert not wrong, "examples that break their own schema:\n" + "\n".join(wrong)


def test_nulls_in_examples_survive(spec: dict[str, Any]) -> None:
    # FastAPI drops None from the whole document; an unbounded last tier needs its null.
    tiers = spec["components"]["schemas"]["PriceIn"]["examples"][2]["tiers"]
    assert tiers[-1] == {"up_to": None, "unit_amount": "0.5"}
    feature = spec["components"]["schemas"]["FeatureOut"]["examples"][0]
    assert "billable_metric" in feature
    assert feature["billable_metric"] is None


def body_models(app: FastAPI) -> dict[tuple[str, str], type[BaseModel]]:
    """The Pydantic model FastAPI validates each operation's body with."""
    models = {}
    for route in iter_route_contexts(app.routes):
        body = getattr(route, "body_field", None)
        if body is not None:
            for method in route.methods or ():
                annotation = body.field_info.annotation
                # An optional body is `Model | None`: the model is what examples must pass.
                models[method, route.path] = next(
                    (a for a in getattr(annotation, "__args__", ()) if a is not type(None)),
                    annotation,
                )
    return models


def test_request_examples_pass_the_request_models(app: FastAPI, spec: dict[str, Any]) -> None:
    models = body_models(app)
    components = spec["components"]["schemas"]
    checked, rejected = set(), []
    for method, path, operation in operations(spec):
        name = body_ref(operation)
        if name is None:
            continue
        model = models[method, path]
        assert model.__name__ == name, (method, path, model, name)
        for index, item in enumerate(components[name].get("examples", [])):
            try:
                model.model_validate(item)
            except ValidationError as exc:
                rejected.append(f"{name}[{index}] ({method} {path}): {exc.errors()[0]}")
        checked.add(name)
    assert not rejected, "request examples the API itself rejects:\n" + "\n".join(rejected)
    # Every body-taking operation was found on both sides, so nothing was skipped silently.
    assert {(m, p) for m, p, op in operations(spec) if body_ref(op)} == set(models)
    assert {"ProductCreate", "FeatureCreate", "AddOnCreate", "PlanCreate"} <= checked


def test_every_operation_documents_its_errors_as_problems(spec: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in operations(spec):
        errors = {s: r for s, r in operation["responses"].items() if s.startswith("4")}
        if not errors:
            wrong.append(f"{method} {path}: no 4xx documented")
        if path.startswith("/v1/") and "401" not in errors:
            wrong.append(f"{method} {path}: 401 not documented")
        for status, response in errors.items():
            content = response.get("content", {})
            schema = content.get(PROBLEM_MEDIA_TYPE, {}).get("schema", {})
            if set(content) != {PROBLEM_MEDIA_TYPE} or schema.get("$ref") != REF_PREFIX + "Problem":
                wrong.append(f"{method} {path} {status}: {sorted(content)} {schema}")
        if operation.get("requestBody") and "422" not in errors:
            wrong.append(f"{method} {path}: takes a body but documents no 422")
    assert not wrong, "\n".join(wrong)


def test_the_problem_schema_has_the_rfc_9457_members(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert "errors" in problem["properties"]


def test_operations_are_authenticated_with_the_api_key(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    unauthenticated = [
        f"{method} {path}"
        for method, path, operation in operations(spec)
        if path.startswith("/v1/") and {"ApiKey": []} not in operation.get("security", [])
    ]
    assert not unauthenticated


def test_docs_page_is_html(http: TestClient) -> None:
    response = http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
    assert "<html" in response.text.lower()


def test_docs_assets_are_served_locally(http: TestClient) -> None:
    page = http.get("/docs").text
    assert "cdn" not in page.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static/docs/{asset}" in page
        response = http.get(f"/static/docs/{asset}")
        assert response.status_code == 200
        assert len(response.content) > 10_000


def test_every_event_type_is_a_webhook_with_its_payload_schema(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    assert set(spec["webhooks"]) == {kind.value for kind in EventType} | {"batch"}
    batch = spec["webhooks"]["batch"]["post"]["requestBody"]["content"]["application/json"]
    envelope = spec["components"]["schemas"][batch["schema"]["$ref"].removeprefix(REF_PREFIX)]
    mapping = envelope["properties"]["data"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == {kind.value for kind in EventType}  # any event, by its type
    components = spec["components"]["schemas"]
    for kind in EventType:
        operation = spec["webhooks"][kind.value]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        envelope = components[ref.removeprefix(REF_PREFIX)]
        assert envelope["required"] == ["type", "timestamp", "data"], kind
        assert envelope["properties"]["type"]["const"] == kind.value
        data = components[envelope["properties"]["data"]["$ref"].removeprefix(REF_PREFIX)]
        assert data["type"] == "object", kind
        assert "id" in data["required"], kind
        assert "422" not in operation["responses"], kind


def test_a_webhook_schema_takes_what_is_sent_and_refuses_what_is_not(
    spec: dict[str, Any],
) -> None:
    validator = jsonschema_rs.Draft202012Validator(webhook_schema(spec, "invoice.paid"))
    data = sample_payload("invoice.paid", "inv_1").json_data()
    body = {"type": "invoice.paid", "timestamp": "2026-01-15T09:30:00Z", "data": data}
    assert validator.is_valid(body)
    assert not validator.is_valid({**body, "type": "invoice.voided"})
    assert not validator.is_valid({**body, "data": {**data, "total": "49.00"}})
    assert not validator.is_valid({**body, "data": {**data, "currency": "lei"}})
    without = {k: v for k, v in data.items() if k != "amount_due"}
    assert not validator.is_valid({**body, "data": without})
