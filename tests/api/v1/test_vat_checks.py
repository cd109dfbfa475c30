"""A customer's VIES check on the API: its state and consultation number on the customer,
`POST /v1/customers/{id}/vat_check` to check now (503/502 problem+json when VIES cannot
answer, the pending check recorded all the same), the events' contract, and a Romanian
person's CNP."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import Api, Merchant
from tests.event_contract import check_recorded
from tests.fakes.vies_server import FakeVies

from recura.config import vies_settings

OWN = "RO18547290"
WEBER = "DE136695976"
COMPANY = {"kind": "company", "legal_name": "Weber GmbH", "country": "DE", "vat_id": WEBER}


def account(api: Api, vies: FakeVies) -> None:
    api.ok("PATCH", "/v1/account", json={"vat_registered": True, "vat_id": OWN})
    vies.register(OWN, "TEST MERCHANT SRL", "Cluj-Napoca")


def test_a_check_now_answers_with_the_proof(
    merchant: Merchant, vies_alone: FakeVies, session_factory: sessionmaker[Session]
) -> None:
    api = merchant.api
    account(api, vies_alone)
    vies_alone.register(WEBER, "Weber GmbH", "Hauptstr. 5, 10115 Berlin")
    created = api.ok("POST", "/v1/customers", 201, json=COMPANY)
    assert created["vat_check"]["status"] == "not_checked"
    assert created["vat_check"]["consultation_number"] is None
    checked = api.ok("POST", f"/v1/customers/{created['id']}/vat_check")
    state = checked["vat_check"]
    assert state["status"] == "validated"
    assert state["consultation_number"] in vies_alone.consultations
    assert (state["name"], state["address"]) == ("Weber GmbH", "Hauptstr. 5, 10115 Berlin")
    assert state["validated_at"] is not None
    assert api.ok("GET", f"/v1/customers/{created['id']}")["vat_check"] == state
    listed = api.ok("GET", "/v1/customers")["data"]
    assert [c["vat_check"] for c in listed if c["id"] == created["id"]] == [state]
    entries = api.ok("GET", "/v1/audit_log", params={"action": "customer.vat_check"})["data"]
    assert [e["target_id"] for e in entries] == [created["id"]]


def test_an_invalid_number_is_said_and_both_events_keep_their_contract(
    merchant: Merchant,
    vies_alone: FakeVies,
    session_factory: sessionmaker[Session],
) -> None:
    api = merchant.api
    account(api, vies_alone)
    cid = api.ok("POST", "/v1/customers", 201, json=COMPANY)["id"]
    assert api.ok("POST", f"/v1/customers/{cid}/vat_check")["vat_check"]["status"] == "invalid"
    vies_alone.register(WEBER, "Weber GmbH", "Berlin")
    assert api.ok("POST", f"/v1/customers/{cid}/vat_check")["vat_check"]["status"] == "validated"
    seen = check_recorded(session_factory, merchant.account_id, api.client.app)  # type: ignore[arg-type]
    assert {"customer.vat_id.invalid", "customer.vat_id.validated"} <= seen


@pytest.mark.parametrize("error", ["MS_UNAVAILABLE", "SERVICE_UNAVAILABLE", "TIMEOUT"])
def test_vies_down_is_a_503_and_the_check_stays_pending(
    merchant: Merchant, vies_alone: FakeVies, error: str
) -> None:
    api = merchant.api
    account(api, vies_alone)
    vies_alone.register(WEBER, "Weber GmbH", "Berlin")
    cid = api.ok("POST", "/v1/customers", 201, json=COMPANY)["id"]
    vies_alone.outage("DE", error)
    response = api.post(f"/v1/customers/{cid}/vat_check")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert error in response.json()["detail"]
    state = api.ok("GET", f"/v1/customers/{cid}")["vat_check"]
    assert state["status"] == "pending"
    assert state["next_check_at"] is not None


def test_no_usable_answer_is_a_502(
    merchant: Merchant, vies_alone: FakeVies, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = merchant.api
    cid = api.ok("POST", "/v1/customers", 201, json=COMPANY)["id"]
    monkeypatch.setenv("RECURA_VIES_URL", "http://127.0.0.1:9")
    vies_settings.cache_clear()
    response = api.post(f"/v1/customers/{cid}/vat_check")
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert api.ok("GET", f"/v1/customers/{cid}")["vat_check"]["status"] == "pending"


def test_a_customer_without_an_eu_number_has_nothing_to_check(
    merchant: Merchant, vies_alone: FakeVies
) -> None:
    api = merchant.api
    body = {"kind": "company", "legal_name": "Norditech SRL", "country": "RO", "vat_id": "18547290"}
    cid = api.ok("POST", "/v1/customers", 201, json=body)["id"]
    response = api.post(f"/v1/customers/{cid}/vat_check")
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/vat_id"
    assert vies_alone.requests == []


def test_a_person_gives_a_cnp_checked_with_stdnum(merchant: Merchant) -> None:
    api = merchant.api
    body: dict[str, Any] = {"name": "Ana Popescu", "country": "RO", "national_id": "1630615123457"}
    created = api.ok("POST", "/v1/customers", 201, json=body)
    assert created["national_id"] == "1630615123457"
    response = api.post("/v1/customers", json={**body, "national_id": "1630615123458"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/national_id"
    cleared = api.ok("PATCH", f"/v1/customers/{created['id']}", json={"national_id": None})
    assert cleared["national_id"] is None
    wrong = api.patch(f"/v1/customers/{created['id']}", json={"national_id": "0000000000000"})
    assert wrong.status_code == 422


def test_the_request_holds_no_connection_while_vies_answers(
    merchant: Merchant, vies_alone: FakeVies, engine: Engine
) -> None:
    api = merchant.api
    account(api, vies_alone)
    cid = api.ok("POST", "/v1/customers", 201, json=COMPANY)["id"]
    held: list[int] = []
    vies_alone.on_request = lambda: held.append(engine.pool.checkedout())  # type: ignore[attr-defined]
    api.ok("POST", f"/v1/customers/{cid}/vat_check")
    assert held == [0]
