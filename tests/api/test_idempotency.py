"""Idempotency-Key on POST: replay, mismatch, in-flight twin, failures, expiry, per-tenant keys."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from tests.conftest import Api, Merchant, make_merchant
from tests.own_database import database_url, engine, session_factory
from tests.waiting import PATIENCE

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.db.models import Customer, IdempotencyKey
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.idempotency import service as idempotency
from recura.jobs.worker import run_once

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]

DAY = timedelta(hours=24)
LEASE = timedelta(seconds=60)  # the default RECURA_IDEMPOTENCY_LEASE_SECONDS


def count_customers(factory: Any, merchant: Merchant) -> int:
    with unit_of_work(factory) as session:
        stmt = (
            select(func.count())
            .select_from(Customer)
            .where(Customer.account_id == merchant.account_id)
        )
        return int(session.scalar(stmt) or 0)


def test_same_key_same_body_replays_without_a_second_effect(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    headers = {"Idempotency-Key": "create-ana-1"}
    first = api.post("/v1/customers", json={"email": "ana@example.ro"}, headers=headers)
    # Same JSON value with other spacing and key order is the same request.
    second = api.post(
        "/v1/customers",
        content=b'{ "email" :  "ana@example.ro" }',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_customers(session_factory, merchant) == 1


def test_same_key_other_body_is_422(api: Api, merchant: Merchant, session_factory: Any) -> None:
    headers = {"Idempotency-Key": "k-1"}
    api.ok("POST", "/v1/customers", 201, json={"email": "a@example.ro"}, headers=headers)
    other = api.post("/v1/customers", json={"email": "b@example.ro"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "urn:recura:problem:idempotency-key-reused"
    other_path = api.post("/v1/products", json={"email": "a@example.ro"}, headers=headers)
    assert other_path.status_code == 422
    assert count_customers(session_factory, merchant) == 1


def test_keys_belong_to_one_tenant_and_mode(
    client: TestClient, session_factory: Any, merchant: Merchant
) -> None:
    other = make_merchant(session_factory, client, name="Other SRL")
    headers = {"Idempotency-Key": "shared"}
    mine = merchant.api.ok("POST", "/v1/customers", 201, json={}, headers=headers)
    live = merchant.live.ok("POST", "/v1/customers", 201, json={}, headers=headers)
    theirs = other.api.ok("POST", "/v1/customers", 201, json={}, headers=headers)
    assert len({mine["id"], live["id"], theirs["id"]}) == 3


def test_a_claimed_key_still_running_is_409(
    api: Api, merchant: Merchant, session_factory: Any, clock: FixedClock
) -> None:
    body = {"email": "twin@example.ro"}
    fingerprint = idempotency.fingerprint(
        "POST", "/v1/customers", "", b'{"email":"twin@example.ro"}'
    )
    tenant = Tenant(merchant.account_id, livemode=False)
    claim = idempotency.claim(session_factory, tenant, "twin", fingerprint, clock.now(), DAY, LEASE)
    assert claim.state is idempotency.ClaimState.NEW
    response = api.post("/v1/customers", json=body, headers={"Idempotency-Key": "twin"})
    assert response.status_code == 409
    assert response.json()["type"] == "urn:recura:problem:idempotency-key-in-use"
    assert count_customers(session_factory, merchant) == 0


def test_failed_requests_release_the_key(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    headers = {"Idempotency-Key": "retry-me"}
    bad = api.post("/v1/customers", json={"vat_id": "RO18547291"}, headers=headers)
    assert bad.status_code == 422
    fixed = api.post("/v1/customers", json={"vat_id": "RO18547290"}, headers=headers)
    assert fixed.status_code == 201
    assert count_customers(session_factory, merchant) == 1


def test_keys_are_kept_a_day_then_purged(
    api: Api, merchant: Merchant, session_factory: Any, clock: FixedClock
) -> None:
    headers = {"Idempotency-Key": "daily"}
    first = api.ok("POST", "/v1/customers", 201, json={"name": "A"}, headers=headers)
    clock.advance(timedelta(hours=23, minutes=59))
    assert api.ok("POST", "/v1/customers", 201, json={"name": "A"}, headers=headers) == first
    clock.advance(timedelta(minutes=2))
    assert run_once(session_factory, clock)["purge_idempotency_keys"] >= 1
    with unit_of_work(session_factory) as session:
        left = session.scalar(
            select(func.count())
            .select_from(IdempotencyKey)
            .where(IdempotencyKey.account_id == merchant.account_id)
        )
    assert left == 0
    again = api.ok("POST", "/v1/customers", 201, json={"name": "B"}, headers=headers)
    assert again["id"] != first["id"]


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_malformed_keys_are_rejected(api: Api, key: str) -> None:
    response = api.post("/v1/customers", json={}, headers={"Idempotency-Key": key})
    assert response.status_code == 422
    assert response.json()["errors"][0]["header"] == "Idempotency-Key"


def test_concurrent_twins_run_once(
    api: Api, merchant: Merchant, session_factory: Any, engine: Any
) -> None:
    """Two requests with one key at the same moment: one runs, the twin gets 409, nothing
    is created twice. On PostgreSQL an uncommitted row with the same external_id holds the
    first request inside its transaction while the twin arrives, so the overlap is certain."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the in-flight case is covered above")
    headers = {"Idempotency-Key": "race"}
    body = {"external_id": "race-1", "email": "race@example.ro"}
    results: dict[str, Any] = {}
    with engine.connect() as blocker:
        tx = blocker.begin()
        blocker.execute(
            text(
                "INSERT INTO customers (account_id, id, livemode, created_at, updated_at,"
                " external_id, metadata) VALUES (:a, 'cus_blocker', false, now(), now(),"
                " 'race-1', '{}')"
            ),
            {"a": merchant.account_id},
        )
        first = threading.Thread(
            target=lambda: results.setdefault(
                "first", api.post("/v1/customers", json=body, headers=headers)
            )
        )
        first.start()
        deadline = time.monotonic() + PATIENCE
        while True:
            with unit_of_work(session_factory) as session:
                if session.get(IdempotencyKey, (merchant.account_id, False, "race")):
                    break
            assert time.monotonic() < deadline, "the first request never claimed its key"
            time.sleep(0.02)
        twin = api.post("/v1/customers", json=body, headers=headers)
        assert twin.status_code == 409
        tx.rollback()
    first.join(timeout=PATIENCE)
    assert results["first"].status_code == 201, results["first"].text
    replay = api.post("/v1/customers", json=body, headers=headers)
    assert replay.json() == results["first"].json()
    assert count_customers(session_factory, merchant) == 1


def test_a_key_left_by_a_dead_request_is_released_after_its_lease(
    api: Api, merchant: Merchant, session_factory: Any, clock: FixedClock
) -> None:
    """A request killed mid-way leaves its key claimed and renews it no more: a retry is
    told to wait while the lease runs, and runs once it has run out."""
    body = {"email": "orphan@example.ro"}
    fingerprint = idempotency.fingerprint(
        "POST", "/v1/customers", "", b'{"email":"orphan@example.ro"}'
    )
    tenant = Tenant(merchant.account_id, livemode=False)
    dead = idempotency.claim(
        session_factory, tenant, "orphan", fingerprint, clock.now(), DAY, LEASE
    )
    assert dead.state is idempotency.ClaimState.NEW
    headers = {"Idempotency-Key": "orphan"}
    clock.advance(LEASE - timedelta(seconds=1))
    assert api.post("/v1/customers", json=body, headers=headers).status_code == 409
    clock.advance(timedelta(seconds=1))
    created = api.ok("POST", "/v1/customers", 201, json=body, headers=headers)
    replay = api.post("/v1/customers", json=body, headers=headers)
    assert replay.json() == created
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert count_customers(session_factory, merchant) == 1


def test_a_request_that_lost_its_lease_can_neither_answer_nor_release(
    merchant: Merchant, session_factory: Any, clock: FixedClock
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    first = idempotency.claim(session_factory, tenant, "slow", "f" * 64, clock.now(), DAY, LEASE)
    clock.advance(LEASE)
    retry = idempotency.claim(session_factory, tenant, "slow", "f" * 64, clock.now(), DAY, LEASE)
    assert (first.state, retry.state) == (idempotency.ClaimState.NEW,) * 2
    assert first.holder is not None
    assert retry.holder is not None
    assert first.holder != retry.holder
    assert not idempotency.renew(session_factory, tenant, "slow", first.holder, clock.now())
    with pytest.raises(idempotency.LeaseLost), unit_of_work(session_factory) as session:
        idempotency.complete(session, tenant, "slow", first.holder, 201, "{}")
    idempotency.release(session_factory, tenant, "slow", first.holder)
    again = idempotency.claim(session_factory, tenant, "slow", "f" * 64, clock.now(), DAY, LEASE)
    assert again.state is idempotency.ClaimState.IN_PROGRESS
    with unit_of_work(session_factory) as session:
        idempotency.complete(session, tenant, "slow", retry.holder, 201, '{"id":"x"}')
    done = idempotency.claim(session_factory, tenant, "slow", "f" * 64, clock.now(), DAY, LEASE)
    assert (done.state, done.body) == (idempotency.ClaimState.REPLAY, '{"id":"x"}')


def waiting_on_locks(engine: Any, statement: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query LIKE :q"
                ),
                {"q": statement + "%"},
            )
        )


def test_exactly_one_retry_takes_over_an_expired_lease(
    merchant: Merchant, session_factory: Any, clock: FixedClock, engine: Any
) -> None:
    """Two retries of a dead request's key at once: both find the lease run out, both try
    to take it over, one does. A lock held on the row lines them up behind it, so they
    really do run together."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    tenant = Tenant(merchant.account_id, livemode=False)
    idempotency.claim(session_factory, tenant, "orphan", "f" * 64, clock.now(), DAY, LEASE)
    later = clock.now() + LEASE
    claims: list[idempotency.Claim] = []

    def retry() -> None:
        claims.append(
            idempotency.claim(session_factory, tenant, "orphan", "f" * 64, later, DAY, LEASE)
        )

    with engine.connect() as blocker:
        tx = blocker.begin()
        blocker.execute(
            text(
                "SELECT 1 FROM idempotency_keys WHERE account_id = :a AND key = 'orphan' FOR UPDATE"
            ),
            {"a": merchant.account_id},
        )
        threads = [threading.Thread(target=retry) for _ in range(2)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + PATIENCE
        while waiting_on_locks(engine, "UPDATE idempotency_keys") < 2:
            assert time.monotonic() < deadline, "the retries never reached the row"
            time.sleep(0.02)
        tx.rollback()
    for thread in threads:
        thread.join(timeout=PATIENCE)
    assert sorted(c.state.value for c in claims) == ["in_progress", "new"]


def test_a_live_long_request_keeps_its_key(
    settings: Any, clock: FixedClock, engine: Any, merchant: Merchant, session_factory: Any
) -> None:
    """A request that runs for longer than a lease renews it: a retry is a 409 however long
    the first runs, and the first's answer is the one kept."""
    if engine.dialect.name != "postgresql":
        pytest.skip("holding a request mid-way needs a second writer (PostgreSQL)")
    short = settings.model_copy(update={"idempotency_lease_seconds": 0.3})
    headers = {"Idempotency-Key": "long"}
    body = {"external_id": "long-1", "email": "long@example.ro"}
    results: dict[str, Any] = {}
    with TestClient(create_app(short, clock=clock, engine=engine)) as client:
        api = Api(client, merchant.test_key)
        with engine.connect() as blocker:
            tx = blocker.begin()
            blocker.execute(
                text(
                    "INSERT INTO customers (account_id, id, livemode, created_at, updated_at,"
                    " external_id, metadata) VALUES (:a, 'cus_blocker', false, now(), now(),"
                    " 'long-1', '{}')"
                ),
                {"a": merchant.account_id},
            )
            first = threading.Thread(
                target=lambda: results.setdefault(
                    "first", api.post("/v1/customers", json=body, headers=headers)
                )
            )
            first.start()
            deadline = time.monotonic() + PATIENCE
            while waiting_on_locks(engine, "INSERT INTO customers") < 1:
                assert time.monotonic() < deadline, "the first request never reached the insert"
                time.sleep(0.02)
            # Many leases later by the clock: the running request renews its lease from it.
            clock.advance(timedelta(minutes=10))
            while (lease_end(session_factory, merchant, "long") or clock.now()) <= clock.now():
                assert time.monotonic() < deadline, "the running request never renewed"
                time.sleep(0.02)
            assert api.post("/v1/customers", json=body, headers=headers).status_code == 409
            tx.rollback()
        first.join(timeout=30)
        assert results["first"].status_code == 201, results["first"].text
        replay = api.post("/v1/customers", json=body, headers=headers)
        assert replay.json() == results["first"].json()
    assert count_customers(session_factory, merchant) == 1


def lease_end(factory: Any, merchant: Merchant, key: str) -> Any:
    with unit_of_work(factory) as session:
        row = session.get(IdempotencyKey, (merchant.account_id, False, key))
        return row.lease_expires_at if row is not None else None
