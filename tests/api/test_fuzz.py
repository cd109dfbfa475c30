"""Schemathesis fuzzes every operation of the API in-process, with valid and invalid input.

Each operation is one pytest item per backend (sqlite and postgresql through the `client` and
`merchant` fixtures), so the fuzz also runs the repositories' queries on both databases.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from recura.api.app import create_app
from recura.api.problems import PROBLEM_MEDIA_TYPE
from recura.config import Settings
from tests.conftest import SECRET, Merchant

MAX_EXAMPLES = 10


class _CurrentApp:
    """Schemathesis binds one ASGI app at collection time, but each backend's app is a fixture.

    This stand-in forwards every request to the app of the test being run. The apps' lifespan
    does nothing without the embedded worker, so it is not forwarded.
    """

    def __init__(self) -> None:
        self.target: Any = None
        self.token: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.target(scope, receive, send)


CURRENT = _CurrentApp()
# Only the spec is read here; the in-memory database is never touched.
_spec = create_app(
    Settings(database_url="sqlite:///:memory:", secret_key=SECRET)  # type: ignore[arg-type]
).openapi()
schema = schemathesis.openapi.from_dict(_spec)
schema.app = CURRENT
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
    # The API ignores query parameters it does not declare (as most HTTP APIs do); OpenAPI
    # cannot say so, and schemathesis would count `?utm_source=x` answered with 200 as a bug.
    allow_extra_parameters=False,
)


@schema.auth(refresh_interval=None, retry_on=[])
class _TestKey:
    """The merchant's test key; schemathesis leaves it off the cases that test missing auth."""

    def get(self, case: Case, ctx: Any) -> str | None:
        return CURRENT.token

    def set(self, case: Case, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _assert_problem(response: Any) -> None:
    if not 400 <= response.status_code < 500:
        return
    media_type = response.headers.get("content-type", "").split(";")[0]
    assert media_type == PROBLEM_MEDIA_TYPE, (response.status_code, response.text)
    body = response.json()
    missing = {"type", "title", "status", "detail"} - body.keys()
    assert not missing, f"problem without {sorted(missing)}: {response.text}"
    assert body["status"] == response.status_code, response.text


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_survives_fuzzing(
    case: Case, client: TestClient, merchant: Merchant
) -> None:
    CURRENT.target = client.app
    CURRENT.token = merchant.test_key
    # Every other built-in check runs: no 5xx, documented status codes, content types and
    # headers, response bodies that match their schema, invalid input rejected, auth enforced.
    # Positive-data acceptance is left out: the API checks what JSON Schema cannot say
    # (ISO country tables, VAT check digits, that a referenced id exists, which price fields a
    # pricing model takes), so a schema-valid body is often, and rightly, a 422.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    _assert_problem(response)


def test_the_fuzz_covers_every_documented_operation() -> None:
    documented = {
        (method.upper(), path)
        for path, item in _spec["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    }
    fuzzed = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert fuzzed == documented
    assert len(fuzzed) >= 40  # every resource's create/list/get/update/archive at least
