"""Customers' EU VAT numbers checked with VIES by the worker, between transactions, against
the fake VIES server: the state each answer leaves, the proof kept, re-checks after the
account's age, retries after an outage, and numbers changed while VIES was asked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import Customer, VatCheck
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.customers import vat_checks
from recura.gateways.vies import Answer
from recura.jobs.worker import run_once
from tests.conftest import T0, Api, Merchant
from tests.fakes.vies_server import FakeVies
from tests.own_database import database_url, engine, session_factory

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]

OWN = "RO18547290"
WEBER = "DE136695976"


def account_with_vat_id(api: Api, vies: FakeVies, **settings: Any) -> None:
    api.ok("PATCH", "/v1/account", json={"vat_registered": True, "vat_id": OWN, **settings})
    vies.register(OWN, "TEST MERCHANT SRL", "Cluj-Napoca")


def german_company(api: Api, vat_id: str = WEBER) -> str:
    body = {"kind": "company", "legal_name": "Weber GmbH", "country": "DE", "vat_id": vat_id}
    return str(api.ok("POST", "/v1/customers", 201, json=body)["id"])


def check(factory: sessionmaker[Session], at: datetime) -> int:
    return run_once(factory, FixedClock(at), only={"vat_checks"})["vat_checks"]


def customer(factory: sessionmaker[Session], merchant: Merchant, cid: str) -> Customer:
    with unit_of_work(factory) as session:
        found = session.get_one(Customer, (merchant.account_id, cid))
        session.expunge(found)
        return found


def proofs(factory: sessionmaker[Session], merchant: Merchant, cid: str) -> list[VatCheck]:
    with unit_of_work(factory) as session:
        found = vat_checks.history(session, Tenant(merchant.account_id, False), cid)
        session.expunge_all()
        return found


def events(api: Api, kind: str) -> list[dict[str, Any]]:
    return list(api.ok("GET", "/v1/events", params={"type": kind})["data"])


def test_a_new_number_is_confirmed_with_a_consultation_number(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    api = merchant.api
    account_with_vat_id(api, vies)
    vies.register(WEBER, "Weber GmbH", "Hauptstr. 5, 10115 Berlin")
    cid = german_company(api)
    before = customer(session_factory, merchant, cid)
    assert (before.vat_check, before.vat_check_due_at) == ("not_checked", T0)
    assert vies.requests == []  # nothing asked while the customer was saved
    assert check(session_factory, T0) == 1
    after = customer(session_factory, merchant, cid)
    assert after.vat_check == "validated"
    assert after.vat_id_validated_at == T0
    assert after.vat_check_due_at == T0 + timedelta(days=30)
    (proof,) = proofs(session_factory, merchant, cid)
    assert (proof.result, proof.vat_id, proof.requester_vat_id) == ("valid", WEBER, OWN)
    assert proof.consultation_number in vies.consultations
    assert (proof.name, proof.address) == ("Weber GmbH", "Hauptstr. 5, 10115 Berlin")
    (event,) = events(api, "customer.vat_id.validated")
    assert event["data"]["consultation_number"] == proof.consultation_number
    assert event["data"]["vat_check"] == proof.id
    # Nothing more is due until the confirmation grows old.
    assert check(session_factory, T0 + timedelta(days=29)) == 0


def test_an_invalid_number_is_recorded_and_said(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    api = merchant.api
    account_with_vat_id(api, vies)
    cid = german_company(api)
    check(session_factory, T0)
    found = customer(session_factory, merchant, cid)
    assert (found.vat_check, found.vat_id_validated_at) == ("invalid", None)
    (proof,) = proofs(session_factory, merchant, cid)
    assert proof.result == "invalid"
    assert proof.consultation_number  # the check is proven all the same
    assert [e["data"]["id"] for e in events(api, "customer.vat_id.invalid")] == [cid]


def test_vies_down_leaves_the_check_pending_and_retried(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    api = merchant.api
    account_with_vat_id(api, vies)
    vies.register(WEBER, "Weber GmbH", "Berlin")
    vies.outage("DE", "MS_UNAVAILABLE")
    cid = german_company(api)
    check(session_factory, T0)
    found = customer(session_factory, merchant, cid)
    assert (found.vat_check, found.vat_id_validated_at) == ("pending", None)
    assert found.vat_check_due_at == T0 + vat_checks.RETRY_AFTER
    (proof,) = proofs(session_factory, merchant, cid)
    assert (proof.result, proof.error, proof.consultation_number) == (
        "unavailable",
        "MS_UNAVAILABLE",
        None,
    )
    assert events(api, "customer.vat_id.validated") == []
    # Not asked again before the retry is due; then VIES answers.
    assert check(session_factory, T0 + timedelta(minutes=5)) == 0
    vies.restore()
    assert check(session_factory, T0 + vat_checks.RETRY_AFTER) == 1
    assert customer(session_factory, merchant, cid).vat_check == "validated"
    assert [p.result for p in proofs(session_factory, merchant, cid)] == ["unavailable", "valid"]


def test_a_confirmation_is_checked_again_after_the_accounts_age(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    api = merchant.api
    account_with_vat_id(api, vies, vat_recheck_days=7)
    assert api.ok("GET", "/v1/account")["vat_recheck_days"] == 7
    vies.register(WEBER, "Weber GmbH", "Berlin")
    cid = german_company(api)
    check(session_factory, T0)
    assert check(session_factory, T0 + timedelta(days=6)) == 0
    later = T0 + timedelta(days=7)
    assert check(session_factory, later) == 1
    found = customer(session_factory, merchant, cid)
    assert (found.vat_check, found.vat_id_validated_at) == ("validated", later)
    assert len(proofs(session_factory, merchant, cid)) == 2
    # Confirmed again: no second event.
    assert len(events(api, "customer.vat_id.validated")) == 1


def test_a_changed_number_is_checked_anew(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    api = merchant.api
    account_with_vat_id(api, vies)
    vies.register(WEBER, "Weber GmbH", "Berlin")
    cid = german_company(api)
    check(session_factory, T0)
    api.ok("PATCH", f"/v1/customers/{cid}", json={"vat_id": "DE129273398"})
    found = customer(session_factory, merchant, cid)
    assert (found.vat_check, found.vat_id_validated_at) == ("not_checked", None)
    check(session_factory, T0)
    assert customer(session_factory, merchant, cid).vat_check == "invalid"


def test_an_answer_about_a_number_since_changed_is_not_applied(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    api = merchant.api
    account_with_vat_id(api, vies)
    cid = german_company(api)
    with unit_of_work(session_factory) as session:
        (due,) = vat_checks.claim(session, T0)
    api.ok("PATCH", f"/v1/customers/{cid}", json={"vat_id": "DE129273398"})
    with unit_of_work(session_factory) as session:
        assert vat_checks.record(session, due, Answer(True, T0), T0) is None
    found = customer(session_factory, merchant, cid)
    assert (found.vat_check, found.vat_id_validated_at) == ("not_checked", None)
    assert proofs(session_factory, merchant, cid) == []


def test_numbers_vies_does_not_know_are_not_checked(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    api = merchant.api
    account_with_vat_id(api, vies)
    body = {"kind": "company", "legal_name": "Norditech SRL", "country": "RO", "vat_id": "18547290"}
    cui = api.ok("POST", "/v1/customers", 201, json=body)
    assert cui["vat_check"] is None
    person = api.ok("POST", "/v1/customers", 201, json={"name": "Ana", "country": "RO"})
    assert person["vat_check"] is None
    assert check(session_factory, T0) == 0
    assert vies.requests == []


def test_without_its_own_vat_number_the_account_checks_without_proof(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    vies.register(WEBER, "Weber GmbH", "Berlin")
    cid = german_company(merchant.api)
    check(session_factory, T0)
    (proof,) = proofs(session_factory, merchant, cid)
    assert (proof.result, proof.requester_vat_id, proof.consultation_number) == (
        "valid",
        None,
        None,
    )
    assert "requesterNumber" not in vies.requests[0]


def test_a_worker_lost_mid_check_leaves_the_number_to_another(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    api = merchant.api
    account_with_vat_id(api, vies)
    vies.register(WEBER, "Weber GmbH", "Berlin")
    cid = german_company(api)
    with unit_of_work(session_factory) as session:
        assert len(vat_checks.claim(session, T0)) == 1  # and the worker is gone
    assert check(session_factory, T0 + timedelta(minutes=1)) == 0
    assert check(session_factory, T0 + timedelta(minutes=10)) == 1
    assert customer(session_factory, merchant, cid).vat_check == "validated"


def test_vies_is_asked_with_no_connection_held(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    account_with_vat_id(merchant.api, vies)
    vies.register(WEBER, "Weber GmbH", "Berlin")
    german_company(merchant.api)
    engine = session_factory.kw["bind"]
    held: list[int] = []
    vies.on_request = lambda: held.append(engine.pool.checkedout())
    check(session_factory, T0)
    assert held == [0]


def test_a_member_states_outage_costs_one_request_per_batch(
    merchant: Merchant, session_factory: sessionmaker[Session], vies_alone: FakeVies
) -> None:
    vies = vies_alone
    api = merchant.api
    account_with_vat_id(api, vies)
    vies.register("FR40303265045", "Société SA", "Paris")
    germans = [german_company(api, number) for number in (WEBER, "DE129273398", "DE811907980")]
    body = {"kind": "company", "legal_name": "Société SA", "country": "FR"}
    french = api.ok("POST", "/v1/customers", 201, json={**body, "vat_id": "FR40303265045"})["id"]
    vies.outage("DE", "MS_UNAVAILABLE")
    check(session_factory, T0)
    asked = [r["countryCode"] for r in vies.requests]
    assert sorted(asked) == ["DE", "FR"]
    assert [customer(session_factory, merchant, c).vat_check for c in germans] == ["pending"] * 3
    for held in germans:
        (proof,) = proofs(session_factory, merchant, held)
        assert (proof.result, proof.error) == ("unavailable", "MS_UNAVAILABLE")
    assert customer(session_factory, merchant, french).vat_check == "validated"
