"""/v1/support_requests: the merchant lists, reads, answers and closes what subscribers
opened from the portal; other tenants find nothing; bad input is a problem document; the
events they record keep their published contract."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.event_contract import check_recorded
from tests.factories import open_support_request

from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events.payloads import EventType
from recura.domains.support_requests import service as support
from recura.domains.support_requests.schemas import MESSAGE_MAX
from recura.domains.webhook_endpoints.schemas import FAMILIES

PROBLEM = "application/problem+json"


def customer(api: Api, email: str = "ana@example.ro") -> str:
    found: str = api.ok("POST", "/v1/customers", 201, json={"email": email})["id"]
    return found


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


def test_the_merchant_reads_answers_and_closes_a_request(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    ana = customer(api)
    request_id = open_support_request(
        session_factory, merchant.account_id, ana, message="Am fost taxată de două ori."
    )
    got = api.ok("GET", f"/v1/support_requests/{request_id}")
    assert got["object"] == "support_request"
    assert (got["customer"], got["category"], got["status"]) == (ana, "billing", "open")
    assert (got["first_response_at"], got["first_response_seconds"]) == (None, None)
    assert [(m["author"], m["body"]) for m in got["messages"]] == [
        ("customer", "Am fost taxată de două ori.")
    ]
    assert got["messages"][0]["object"] == "support_message"

    answered = api.ok(
        "POST", f"/v1/support_requests/{request_id}/reply", json={"body": "  Verificăm acum. \n"}
    )
    assert answered["status"] == "answered"
    assert answered["first_response_at"] == "2026-01-15T09:30:00Z"  # the API's clock
    assert answered["first_response_seconds"] == 0
    assert [(m["author"], m["body"]) for m in answered["messages"]][1:] == [
        ("merchant", "Verificăm acum.")
    ]
    assert api.ok("GET", f"/v1/support_requests/{request_id}") == answered

    closed = api.ok("POST", f"/v1/support_requests/{request_id}/close")
    assert (closed["status"], closed["closed_by"]) == ("closed", "merchant")
    assert closed["closed_at"] == "2026-01-15T09:30:00Z"
    assert api.ok("POST", f"/v1/support_requests/{request_id}/close") == closed  # again: as is
    refused = problem(
        api.post(f"/v1/support_requests/{request_id}/reply", json={"body": "Încă ceva"}), 409
    )
    assert "closed" in refused["detail"]


def test_the_list_is_newest_first_filtered_and_paged(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    ana, ion = customer(api), customer(api, "ion@example.ro")
    first = open_support_request(session_factory, merchant.account_id, ana)
    second = open_support_request(session_factory, merchant.account_id, ion)
    third = open_support_request(session_factory, merchant.account_id, ana)
    api.ok("POST", f"/v1/support_requests/{second}/reply", json={"body": "Da."})

    listed = api.ok("GET", "/v1/support_requests")
    assert [r["id"] for r in listed["data"]] == [third, second, first]
    assert "messages" not in listed["data"][0]

    def ids(**params: Any) -> list[str]:
        return [r["id"] for r in api.ok("GET", "/v1/support_requests", params=params)["data"]]

    assert ids(status="open") == [third, first]
    assert ids(status="answered") == [second]
    assert ids(status="closed") == []
    assert ids(customer=ana) == [third, first]
    assert ids(customer=ion, status="open") == []
    page = api.ok("GET", "/v1/support_requests", params={"limit": 2})
    assert page["has_more"]
    assert ids(limit=2, starting_after=page["data"][-1]["id"]) == [first]
    bad = problem(api.get("/v1/support_requests", params={"status": "pending"}), 422)
    assert bad["errors"][0]["parameter"] == "status"


def test_bad_replies_are_problems_naming_the_field(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    request_id = open_support_request(session_factory, merchant.account_id, customer(api))
    path = f"/v1/support_requests/{request_id}/reply"
    for body in (
        {"body": ""},
        {"body": " \n\t "},
        {"body": "x" * (MESSAGE_MAX + 1)},
        {"body": 42},
        {"body": "Bună\x07 ziua"},
        {},
    ):
        found = problem(api.post(path, json=body), 422)
        assert [e["pointer"] for e in found["errors"]] == ["#/body"], body
    unknown = problem(api.post(path, json={"body": "Da", "author": "customer"}), 422)
    assert unknown["errors"][0]["pointer"] == "#/author"
    thread = api.ok("GET", f"/v1/support_requests/{request_id}")
    assert (thread["status"], len(thread["messages"])) == ("open", 1)


def test_another_tenants_or_modes_requests_are_not_found(
    api: Api,
    merchant: Merchant,
    client: TestClient,
    session_factory: sessionmaker[Session],
) -> None:
    request_id = open_support_request(session_factory, merchant.account_id, customer(api))
    other = make_merchant(session_factory, client, name="Other SRL")
    for caller in (other.api, merchant.live):
        problem(caller.get(f"/v1/support_requests/{request_id}"), 404)
        reply = caller.post(f"/v1/support_requests/{request_id}/reply", json={"body": "Salut"})
        problem(reply, 404)
        problem(caller.post(f"/v1/support_requests/{request_id}/close"), 404)
        assert caller.ok("GET", "/v1/support_requests")["data"] == []
    problem(api.get("/v1/support_requests/sr_unknown"), 404)
    thread = api.ok("GET", f"/v1/support_requests/{request_id}")
    assert (thread["status"], len(thread["messages"])) == ("open", 1)


def test_a_reply_retried_with_its_idempotency_key_is_written_once(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    ana = customer(api)
    request_id = open_support_request(session_factory, merchant.account_id, ana)
    path = f"/v1/support_requests/{request_id}/reply"
    headers = {"Idempotency-Key": "reply-1"}
    first = api.post(path, json={"body": "Rambursat."}, headers=headers)
    assert first.status_code == 200, first.text
    with unit_of_work(session_factory) as session:  # the subscriber answers in between
        support.customer_reply(
            session, Tenant(merchant.account_id, False), ana, request_id, "Mulțumesc", T0
        )
    again = api.post(path, json={"body": "Rambursat."}, headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    problem(api.post(path, json={"body": "Altceva."}, headers=headers), 422)
    thread = api.ok("GET", f"/v1/support_requests/{request_id}")
    assert [m["body"] for m in thread["messages"]][1:] == ["Rambursat.", "Mulțumesc"]


def test_support_events_keep_their_webhook_contract(
    api: Api, merchant: Merchant, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    ana = customer(api)
    plan_product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    plan = api.ok(
        "POST",
        "/v1/plans",
        201,
        json={"product": plan_product, "code": "free", "name": "Free", "pricing_model": "free"},
    )["id"]
    sub = api.ok("POST", "/v1/subscriptions", 201, json={"customer": ana, "plan": plan})["id"]
    request_id = open_support_request(
        session_factory, merchant.account_id, ana, subscription_id=sub, category="technical"
    )
    api.ok("POST", f"/v1/support_requests/{request_id}/reply", json={"body": "Reporniți."})
    with unit_of_work(session_factory) as session:
        support.customer_reply(
            session, Tenant(merchant.account_id, False), ana, request_id, "Merge!", T0
        )
    api.ok("POST", f"/v1/support_requests/{request_id}/close")
    seen = check_recorded(session_factory, merchant.account_id, client.app)  # type: ignore[arg-type]
    assert {
        "support_request.created",
        "support_request.replied",
        "support_request.closed",
    } <= seen
    events = api.ok("GET", "/v1/events", params={"object_id": request_id, "limit": 10})["data"]
    replies = [e["data"] for e in events if e["type"] == "support_request.replied"]
    assert sorted(r["replied_by"] for r in replies) == ["customer", "merchant"]
    assert all(r["subscription"] == sub for r in replies)


def test_an_endpoint_can_take_only_the_support_events(api: Api) -> None:
    assert {kind.split(".")[0] for kind in EventType} <= FAMILIES
    body = {
        "url": "https://hooks.merchant.example/support",
        "enabled_events": ["support_request.*"],
    }
    created = api.ok("POST", "/v1/webhook_endpoints", 201, json=body)
    assert created["enabled_events"] == ["support_request.*"]


def test_the_support_address_is_set_cleared_and_checked(api: Api) -> None:
    assert api.ok("GET", "/v1/account")["support_email"] is None
    changed = api.ok("PATCH", "/v1/account", json={"support_email": "ajutor@norditech.ro"})
    assert changed["support_email"] == "ajutor@norditech.ro"
    kept = api.ok("PATCH", "/v1/account", json={"legal_name": "Norditech SRL"})
    assert kept["support_email"] == "ajutor@norditech.ro"
    assert api.ok("PATCH", "/v1/account", json={"support_email": None})["support_email"] is None
    bad = problem(api.patch("/v1/account", json={"support_email": "not an address"}), 422)
    assert bad["errors"][0]["pointer"] == "#/support_email"
