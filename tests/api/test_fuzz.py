"""Schemathesis fuzzes every operation of the API in-process, with valid and invalid input.

Each operation is one pytest item per backend (sqlite and postgresql through the `client` and
`merchant` fixtures), so the fuzz also runs the repositories' queries on both databases. Both
generation modes run: schema-valid data and negative data (wrong types, missing and unknown
fields, out-of-range values, missing or malformed Authorization), in the explicit-examples,
coverage (boundary values) and fuzzing phases. Derandomized: every run sends the same requests.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis import Case, GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.orm import Session, sessionmaker
from tests.api.test_tenancy import (
    cancellation_feedback,
    opened_dispute,
    opened_support_request,
    recorded_email,
    unmatched_transfer,
)
from tests.conftest import SECRET, T0, Merchant

from recura.api.app import create_app
from recura.api.problems import PROBLEM_MEDIA_TYPE
from recura.config import Settings
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.einvoices import service as einvoices

MAX_EXAMPLES = 10


class _CurrentApp:
    """Schemathesis binds one ASGI app at collection time, but each backend's app is a fixture.

    This stand-in forwards every request to the app of the test being run. (Schemathesis's own
    `pytest.from_fixture` would do this, but breaks on pytest 9.2: `Function._nodeid` is gone.)
    The apps' lifespan does nothing without the embedded worker, so it is not forwarded.
    """

    def __init__(self) -> None:
        self.target: Any = None

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
    # Undeclared query parameters are sent too: the API must reject them with a 422.
    allow_extra_parameters=True,
)


def _positive(case: Case, location: ParameterLocation) -> bool:
    component = case.meta.components.get(location) if case.meta else None
    return component is not None and component.mode is GenerationMode.POSITIVE


def _resource(path: str) -> str:
    return path.split("/")[2]


def _example(name: str) -> dict[str, Any]:
    return dict(_spec["components"]["schemas"][name]["examples"][0])


def made_einvoice(factory: sessionmaker[Session], merchant: Merchant, invoice_id: str) -> str:
    with unit_of_work(factory) as session:
        tenant = Tenant(merchant.account_id, False)
        return einvoices.make(session, tenant, T0, invoice_id=invoice_id).id


@pytest.fixture
def seeded(merchant: Merchant, session_factory: sessionmaker[Session]) -> dict[str, str]:
    """One object per resource, created through the API, by the resource's path segment
    (an e-invoice as the worker makes it after finalisation)."""
    api = merchant.api

    def create(resource: str, body: dict[str, Any]) -> str:
        object_id: str = api.ok("POST", f"/v1/{resource}", 201, json=body)["id"]
        return object_id

    product = create("products", {"name": "Fuzz"})
    coupon = create("coupons", _example("CouponCreate"))
    customer = create("customers", {"name": "Fuzz"})
    plan = create(
        "plans",
        {
            "product": product,
            "code": "fuzz",
            "name": "Fuzz",
            "pricing_model": "per_unit",
            "prices": [{"currency": "RON", "unit_amount": "100"}],
        },
    )
    card = {"gateway": "sandbox", "token": "tok_sandbox_visa"}
    method = create(f"customers/{customer}/payment_methods", card)
    subscription = create("subscriptions", {"customer": customer, "plan": plan})
    invoice = api.ok("GET", "/v1/invoices", params={"subscription": subscription})["data"][0]
    api.ok("POST", f"/v1/invoices/{invoice['id']}/pay", json={})
    return {
        "payment_methods": method,
        "payments": (payment := api.ok("GET", "/v1/payments")["data"][0]["id"]),
        "refunds": create("refunds", {"payment": payment, "amount": 1}),
        "bank_transactions": unmatched_transfer(api),
        "bank_accounts": create("bank_accounts", {"iban": "RO49AAAA1B31007593840000"}),
        "disputes": opened_dispute(api, payment),
        "customers": customer,
        "products": product,
        "features": create("features", {"code": "seats", "name": "Seats", "kind": "limit"}),
        "plans": plan,
        "subscriptions": subscription,
        "checkout_sessions": create(
            "checkout_sessions", {"plan": plan, "success_url": "https://shop.example.ro/ok"}
        ),
        "invoices": invoice["id"],
        "einvoices": made_einvoice(session_factory, merchant, invoice["id"]),
        "events": api.ok("GET", "/v1/events")["data"][0]["id"],
        "credit_notes": create("credit_notes", {"invoice": invoice["id"], "amount": 1}),
        "test_clocks": create("test_clocks", _example("TestClockCreate")),
        "add_ons": create("add_ons", {"code": "fuzz", "name": "Fuzz", "pricing_model": "free"}),
        "billable_metrics": create("billable_metrics", _example("BillableMetricCreate")),
        "coupons": coupon,
        "promotion_codes": create(
            "promotion_codes", {**_example("PromotionCodeCreate"), "coupon": coupon}
        ),
        "support_requests": opened_support_request(api, customer),
        "email_messages": recorded_email(api),
        # Loopback: nothing listens there, and nothing in the fuzz sends webhooks.
        "webhook_endpoints": create("webhook_endpoints", {"url": "http://127.0.0.1:9/hooks"}),
        "partner_perks": create(
            "partner_perks", {**_example("PartnerPerkCreate"), "plans": [plan]}
        ),
        "cancellation_feedback": cancellation_feedback(api, customer, plan),
        "onboarding_steps": create(
            "onboarding_steps", {**_example("OnboardingStepCreate"), "plan": plan}
        ),
        "announcements": create(
            "announcements", {**_example("AnnouncementCreate"), "plans": [plan]}
        ),
        "api_keys": create("api_keys", {"name": "fuzz", "scope": "read_only"}),
        "audit_log": api.ok("GET", "/v1/audit_log")["data"][0]["id"],
        "acquisition_spend": create("acquisition_spend", _example("AcquisitionSpendCreate")),
    }


def _assert_problem(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code < 400:
        return
    media_type = response.headers.get("content-type", [""])[0].split(";")[0]
    assert media_type == PROBLEM_MEDIA_TYPE, (response.status_code, response.text)
    body = response.json()
    missing = {"type", "title", "status", "detail"} - body.keys()
    assert not missing, f"problem without {sorted(missing)}: {response.text}"
    assert body["status"] == response.status_code, response.text


@schema.parametrize()
# Derandomized and without an example database, so every run sends the same requests.
# No shrinking: a failure is reported as found, so a failing run is as short as a passing one.
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_survives_fuzzing(
    case: Case, client: TestClient, merchant: Merchant, request: pytest.FixtureRequest
) -> None:
    CURRENT.target = client.app
    if "{id}" in case.path and _positive(case, ParameterLocation.PATH):
        # Random ids only ever reach the 404 branch; a real one fuzzes the handler behind it.
        seeded = request.getfixturevalue("seeded")
        resource = _resource(case.path)
        assert resource in seeded, f"add a {resource} to `seeded` so its handlers get fuzzed"
        case.path_parameters = {**(case.path_parameters or {}), "id": seeded[resource]}
    if not case.operation.schema.is_security_param_negated(case):
        # Generated tokens are never valid; the cases that test auth itself keep theirs.
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {merchant.test_key}"}
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


@pytest.mark.parametrize(
    ("method", "path", "body", "pointer"),
    [
        # A 500: the plan service read the null as a pricing model.
        ("PATCH", "plans/{id}", {"pricing_model": None}, "#/pricing_model"),
        # Lax booleans: 0 and "yes" were read as false and true.
        ("PATCH", "promotion_codes/{id}", {"active": 0}, "#/active"),
        (
            "POST",
            "plans/{id}/quote",
            {"currency": "RON", "include_setup_fee": "yes"},
            "#/include_setup_fee",
        ),
        # PostgreSQL cannot store NUL: a 500 there, while SQLite stored it.
        ("POST", "products", {"name": "CRM", "metadata": {"k": "a\x00"}}, "#/metadata"),
        ("PATCH", "features/{id}", {"name": "\x00"}, "#/name"),
        # Union members leaked into the pointer: /features/0/value/int.
        (
            "PATCH",
            "add_ons/{id}",
            {"features": [{"feature": "f", "value": "9"}]},
            "#/features/0/value",
        ),
    ],
)
def test_what_the_fuzzer_found_stays_fixed(
    merchant: Merchant, seeded: dict[str, str], method: str, path: str, body: Any, pointer: str
) -> None:
    url = "/v1/" + path.format(id=seeded[path.split("/")[0]])
    response = merchant.api.request(method, url, json=body)
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/products/a%00", "id"),
        ("/v1/features?code=%00", "code"),
        ("/v1/customers/a%00/entitlements", "id"),  # read directly on the driver
    ],
)
def test_a_nul_in_the_url_is_never_a_server_error(
    merchant: Merchant, database_url: str, path: str, parameter: str
) -> None:
    response = merchant.api.get(path)
    if database_url.startswith("sqlite"):
        # SQLite can hold NUL, so the lookup simply finds nothing.
        assert response.status_code in {200, 404}, response.text
    else:
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [
            {"parameter": parameter, "detail": "must not contain NUL characters"}
        ]
