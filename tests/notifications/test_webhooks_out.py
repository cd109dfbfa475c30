"""Outbound webhooks against real receivers on loopback, verified with the
`standardwebhooks` library: each event arrives once, retried on the schedule under one
`webhook-id`, and what the receiver answers (410, 429) changes what is sent next."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings
from recura.db.models import Event, WebhookDelivery, WebhookEndpoint
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import service as events
from recura.notifications import outbox, webhooks_out
from recura.notifications.webhooks_out import DELAYS, JITTER, TIMEOUT_SECONDS, Sender
from recura.staged import CLAIM_EXPIRES
from tests.conftest import SECRET, T0, Api, Merchant
from tests.factories import sample_payload
from tests.fakes.webhook_receiver import Answer, Receiver, serve_receiver

Factory = sessionmaker[Session]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as receiver:
        yield receiver


@pytest.fixture
def sender() -> Iterator[Sender]:
    sender = Sender(allow_private=True)
    yield sender
    sender.close()


def add_endpoint(api: Api, receiver: Receiver, **fields: Any) -> dict[str, Any]:
    body = {"url": receiver.url, **fields}
    created: dict[str, Any] = api.ok("POST", "/v1/webhook_endpoints", 201, json=body)
    receiver.secrets.append(created["secret"])
    return created


def record(factory: Factory, merchant: Merchant, type_: str = "invoice.paid", **kw: Any) -> str:
    tenant = Tenant(merchant.account_id, kw.pop("livemode", False))
    with unit_of_work(factory) as session:
        data = sample_payload(type_, "inv_1")
        return events.record(session, tenant, data, kw.pop("at", T0)).id


def run(factory: Factory, clock: FixedClock, sender: Sender) -> int:
    """What the worker does for webhooks: dispatch the outbox, then send what is due."""
    sent = 0
    with unit_of_work(factory) as session:
        while outbox.dispatch(session, clock.now()):
            pass
    while count := webhooks_out.deliver_due(lambda: unit_of_work(factory), clock, sender=sender):
        sent += count
    return sent


def delivery(factory: Factory, event_id: str) -> WebhookDelivery:
    with unit_of_work(factory) as session:
        found = session.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == event_id))
        row = found.one()
        session.expunge(row)
        return row


def log(api: Api, endpoint_id: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.ok(
        "GET", f"/v1/webhook_endpoints/{endpoint_id}/deliveries", params=params
    )["data"]
    return found


def within_jitter(delay: timedelta, expected: timedelta) -> bool:
    return expected * (1 - JITTER) <= delay <= expected * (1 + JITTER)


def test_a_signed_event_reaches_the_receiver_once(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    endpoint = add_endpoint(api, receiver)
    assert endpoint["secret"].startswith("whsec_")
    event_id = record(session_factory, merchant)
    run(session_factory, clock, sender)

    [got] = receiver.received
    assert got.verified_by == receiver.secrets
    assert got.webhook_id == event_id
    assert receiver.payloads[event_id] == {
        "type": "invoice.paid",
        "timestamp": "2026-01-15T09:30:00Z",
        "data": sample_payload("invoice.paid", "inv_1").json_data(),
    }
    assert got.headers["content-type"] == "application/json"
    [entry] = log(api, endpoint["id"])
    assert entry["event"] == event_id
    assert entry["event_type"] == "invoice.paid"
    assert entry["status"] == "succeeded"
    assert entry["next_attempt_at"] is None
    [attempt] = entry["attempts"]
    assert attempt["status_code"] == 200
    assert attempt["response_excerpt"] == "ok"
    assert attempt["latency_ms"] is not None
    assert attempt["error"] is None
    # Sent is sent: running again sends nothing more.
    clock.advance(timedelta(days=4))
    run(session_factory, clock, sender)
    assert len(receiver.received) == 1


def test_three_failures_then_success_is_one_event_under_one_id(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    endpoint = add_endpoint(api, receiver)
    receiver.answer(Answer(500, body="boom"), Answer(500), Answer(500))
    event_id = record(session_factory, merchant)
    run(session_factory, clock, sender)
    for n in range(3):
        row = delivery(session_factory, event_id)
        assert row.status == "pending"
        assert row.attempt_count == n + 1
        assert row.next_attempt_at is not None
        assert within_jitter(row.next_attempt_at - clock.now(), DELAYS[n])
        # Not before it is due.
        before = len(receiver.received)
        clock.advance(row.next_attempt_at - clock.now() - timedelta(seconds=1))
        run(session_factory, clock, sender)
        assert len(receiver.received) == before
        clock.advance(timedelta(seconds=1))
        run(session_factory, clock, sender)
        assert len(receiver.received) == before + 1

    assert receiver.ids() == [event_id] * 4
    assert all(r.verified_by for r in receiver.received)
    assert receiver.processed == {event_id: 1}
    [entry] = log(api, endpoint["id"])
    assert entry["status"] == "succeeded"
    assert entry["attempt_count"] == 4
    assert [a["status_code"] for a in entry["attempts"]] == [500, 500, 500, 200]
    assert [a["attempt"] for a in entry["attempts"]] == [1, 2, 3, 4]
    assert entry["attempts"][0]["response_excerpt"] == "boom"


def test_the_schedule_runs_about_75_hours_then_gives_up(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    assert timedelta(hours=75) <= sum(DELAYS, timedelta()) <= timedelta(hours=76)
    endpoint = add_endpoint(api, receiver)
    receiver.answer(*[Answer(500)] * 20)
    event_id = record(session_factory, merchant)
    run(session_factory, clock, sender)
    while (row := delivery(session_factory, event_id)).next_attempt_at is not None:
        clock.advance(row.next_attempt_at - clock.now())
        run(session_factory, clock, sender)
    assert row.status == "failed"
    assert len(receiver.received) == len(DELAYS) + 1 == 11
    elapsed = clock.now() - T0
    assert timedelta(hours=64) < elapsed < timedelta(hours=87)
    assert log(api, endpoint["id"], status="failed")[0]["attempt_count"] == 11
    assert receiver.processed == {}


def test_410_gone_disables_the_endpoint_until_it_is_enabled_again(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    endpoint = add_endpoint(api, receiver)
    receiver.answer(Answer(410, body="gone"))
    first = record(session_factory, merchant)
    run(session_factory, clock, sender)
    assert delivery(session_factory, first).status == "failed"
    found = api.ok("GET", f"/v1/webhook_endpoints/{endpoint['id']}")
    assert found["status"] == "disabled"
    assert "410" in found["disabled_reason"]

    # Nothing more goes to it, not even what was already owed.
    record(session_factory, merchant)
    clock.advance(timedelta(hours=1))
    run(session_factory, clock, sender)
    assert len(receiver.received) == 1
    api.ok("PATCH", f"/v1/webhook_endpoints/{endpoint['id']}", json={"enabled": True})
    later = record(session_factory, merchant)
    run(session_factory, clock, sender)
    assert receiver.ids()[1:] == [later]
    assert delivery(session_factory, first).status == "failed"  # until replayed


def test_429_with_retry_after_holds_back_the_endpoint(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    add_endpoint(api, receiver)
    receiver.answer(Answer(429, headers={"Retry-After": "120"}, body="slow down"))
    first = record(session_factory, merchant)
    run(session_factory, clock, sender)
    row = delivery(session_factory, first)
    assert row.status == "pending"
    assert row.last_status_code == 429
    assert row.next_attempt_at is not None
    assert row.next_attempt_at - clock.now() >= timedelta(seconds=120)

    # A new event for the same endpoint waits too, though it was never refused itself.
    second = record(session_factory, merchant)
    clock.advance(timedelta(seconds=60))
    run(session_factory, clock, sender)
    assert receiver.ids() == [first]
    assert delivery(session_factory, second).status == "pending"
    clock.advance(timedelta(seconds=61))
    run(session_factory, clock, sender)
    assert sorted(receiver.ids()[1:]) == sorted([first, second])
    assert receiver.processed == {first: 1, second: 1}


def test_a_receiver_that_does_not_answer_in_time_is_tried_again(
    api: Api, merchant: Merchant, session_factory: Factory, clock: FixedClock, receiver: Receiver
) -> None:
    assert Sender(allow_private=True).timeout == TIMEOUT_SECONDS == 15
    endpoint = add_endpoint(api, receiver)
    event = record(session_factory, merchant)
    impatient = Sender(allow_private=True, timeout=0.5)  # 15 s, shortened for the test
    receiver.gate.clear()  # the receiver reads the request and says nothing
    try:
        run(session_factory, clock, impatient)
    finally:
        receiver.gate.set()
    row = delivery(session_factory, event)
    assert row.status == "pending"
    assert row.next_attempt_at is not None
    assert within_jitter(row.next_attempt_at - clock.now(), DELAYS[0])
    (attempt,) = log(api, endpoint["id"])[0]["attempts"]
    assert attempt["error"] == "Timed out after 0.5 s."

    clock.advance(DELAYS[0] * 2)
    run(session_factory, clock, impatient)
    impatient.close()
    assert delivery(session_factory, event).status == "succeeded"
    assert receiver.processed == {event: 1}


def test_during_a_rotation_both_secrets_verify_then_only_the_new_one(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    endpoint = add_endpoint(api, receiver)
    old = endpoint["secret"]
    rotated = api.ok(
        "POST",
        f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret",
        json={"expire_previous_in_hours": 24},
    )
    new = rotated["secret"]
    assert new != old
    assert new.startswith("whsec_")
    assert rotated["previous_secret_expires_at"] == "2026-01-16T09:30:00Z"
    assert "secret" not in api.ok("GET", f"/v1/webhook_endpoints/{endpoint['id']}")
    receiver.secrets = [old, new]

    during = record(session_factory, merchant)
    run(session_factory, clock, sender)
    clock.advance(timedelta(hours=25))
    after = record(session_factory, merchant)
    run(session_factory, clock, sender)
    by_id = {r.webhook_id: r for r in receiver.received}
    assert by_id[during].verified_by == [old, new]
    assert len(by_id[during].headers["webhook-signature"].split(" ")) == 2
    assert by_id[after].verified_by == [new]
    assert receiver.processed == {during: 1, after: 1}


def test_private_targets_are_refused_when_the_setting_is_off(
    merchant: Merchant,
    engine: Engine,
    database_url: str,
    session_factory: Factory,
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    strict = Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        webhooks_allow_private=False,
    )
    with TestClient(create_app(strict, clock=clock, engine=engine)) as client:
        api = Api(client, merchant.test_key)
        for url in (
            receiver.url,
            "http://10.1.2.3/hooks",
            "http://[::1]:8080/",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:9000/",
            "http://[::ffff:127.0.0.1]/",
        ):
            response = api.post("/v1/webhook_endpoints", json={"url": url})
            assert response.status_code == 422, (url, response.text)
            assert response.json()["errors"][0]["pointer"] == "#/url"
        assert (
            api.post(
                "/v1/webhook_endpoints", json={"url": "ftp://hooks.merchant.example/"}
            ).status_code
            == 422
        )
        public = api.ok("POST", "/v1/webhook_endpoints", 201, json={"url": "https://h.example/"})
        api.ok("DELETE", f"/v1/webhook_endpoints/{public['id']}")
        live = Api(client, merchant.live_key)
        plain = live.post("/v1/webhook_endpoints", json={"url": "http://hooks.merchant.example/x"})
        assert plain.status_code == 422
        assert "https" in plain.json()["errors"][0]["detail"]

    # Saved while allowed, sent while not: refused at the send, and logged.
    endpoint = add_endpoint(merchant.api, receiver)
    event_id = record(session_factory, merchant, "subscription.created")
    strict_sender = Sender(allow_private=False)
    try:
        with unit_of_work(session_factory) as session:
            outbox.dispatch(session, clock.now())
        webhooks_out.deliver_due(lambda: unit_of_work(session_factory), clock, sender=strict_sender)
    finally:
        strict_sender.close()
    assert receiver.received == []
    [entry] = log(merchant.api, endpoint["id"])
    assert entry["event"] == event_id
    assert entry["status"] == "pending"
    [attempt] = entry["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"] == "refused: 127.0.0.1 resolves to 127.0.0.1 is a loopback address"


def test_replaying_one_event_and_everything_failed_since(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    older = record(session_factory, merchant, "customer.updated")
    run(session_factory, clock, sender)  # before any endpoint: nobody gets it
    endpoint = add_endpoint(api, receiver, enabled_events=["invoice.*"])
    path = f"/v1/webhook_endpoints/{endpoint['id']}/replay"
    first = record(session_factory, merchant)
    run(session_factory, clock, sender)
    assert receiver.ids() == [first]

    # One event, again: the same webhook-id, so the receiver knows it has it.
    assert api.ok("POST", path, json={"event": first})["replayed"] == 1
    # One the endpoint never had (older than it, outside its filter), asked for by name.
    assert api.ok("POST", path, json={"event": older})["replayed"] == 1
    run(session_factory, clock, sender)
    assert sorted(receiver.ids()) == sorted([first, first, older])
    assert receiver.processed == {first: 1, older: 1}
    assert receiver.duplicates == {first: 1}

    # Failed deliveries (the endpoint was gone for a while), all sent again.
    receiver.answer(Answer(410))
    clock.advance(timedelta(hours=1))
    failed = record(session_factory, merchant, at=clock.now())
    run(session_factory, clock, sender)
    assert delivery(session_factory, failed).status == "failed"
    conflict = api.post(path, json={"failed_since": "2026-01-15T10:00:00Z"})
    assert conflict.status_code == 409, conflict.text  # disabled: enable it first
    api.ok("PATCH", f"/v1/webhook_endpoints/{endpoint['id']}", json={"enabled": True})
    later = api.ok("POST", path, json={"failed_since": "2026-01-15T10:31:00Z"})
    assert later["replayed"] == 0
    since = api.ok("POST", path, json={"failed_since": "2026-01-15T10:00:00Z"})
    assert since["replayed"] == 1
    run(session_factory, clock, sender)
    assert receiver.processed == {first: 1, older: 1, failed: 1}
    row = delivery(session_factory, failed)
    assert row.status == "succeeded"
    assert row.attempt_count == 2


def test_a_worker_lost_while_sending_is_replaced_after_the_stale_timeout(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    endpoint = add_endpoint(api, receiver)
    event_id = record(session_factory, merchant)
    with unit_of_work(session_factory) as session:
        outbox.dispatch(session, clock.now())
    # Claimed and committed as sending, and then the worker is gone.
    with unit_of_work(session_factory) as session:
        assert [j.event_id for j in webhooks_out.claim(session, clock.now(), 50)] == [event_id]
    clock.advance(CLAIM_EXPIRES - timedelta(seconds=1))
    run(session_factory, clock, sender)
    assert receiver.received == []
    clock.advance(timedelta(seconds=1))
    run(session_factory, clock, sender)
    assert receiver.processed == {event_id: 1}
    [entry] = log(api, endpoint["id"])
    assert entry["status"] == "succeeded"
    assert [(a["attempt"], a["status_code"]) for a in entry["attempts"]] == [(1, None), (2, 200)]
    assert "worker" in entry["attempts"][0]["error"]


def test_a_batch_dispatched_twice_owes_each_event_once(
    api: Api, merchant: Merchant, session_factory: Factory, receiver: Receiver
) -> None:
    add_endpoint(api, receiver)
    add_endpoint(api, receiver, enabled_events=["subscription.*"])
    event_id = record(session_factory, merchant)
    for _ in range(2):  # the dispatcher's crash-before-commit case
        with unit_of_work(session_factory) as session:
            claimed = session.scalars(select(Event).where(Event.id == event_id)).all()
            webhooks_out.fan_out(session, claimed, T0)
    with unit_of_work(session_factory) as session:
        stmt = select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
        assert len(session.scalars(stmt).all()) == 1  # the subscription.* one takes none


def every_event(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if after:
            params["starting_after"] = after
        page = api.ok("GET", "/v1/events", params=params)
        found += page["data"]
        if not page["has_more"]:
            return found
        after = page["data"][-1]["id"]


def test_every_event_of_a_real_flow_reaches_each_endpoint_exactly_once(
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
) -> None:
    api = merchant.api
    with serve_receiver() as everything, serve_receiver() as invoices:
        add_endpoint(api, everything)
        add_endpoint(api, invoices, enabled_events=["invoice.*"])
        everything.answer(Answer(500), Answer(503), Answer(500))  # some need retries
        live = merchant.live.ok(
            "POST", "/v1/webhook_endpoints", 201, json={"url": everything.url + "/live"}
        )
        product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
        plan = api.ok(
            "POST",
            "/v1/plans",
            201,
            json={
                "product": product,
                "code": "pro",
                "name": "Pro",
                "pricing_model": "flat",
                "prices": [{"currency": "RON", "amount": 3000}],
            },
        )["id"]
        for n in range(3):
            customer = api.ok("POST", "/v1/customers", 201, json={"name": f"C{n}"})["id"]
            card = {"gateway": "sandbox", "token": "tok_sandbox_visa"}
            api.ok("POST", f"/v1/customers/{customer}/payment_methods", 201, json=card)
            sub = {"customer": customer, "plan": plan}
            api.ok("POST", "/v1/subscriptions", 201, json=sub)
        for invoice in api.ok("GET", "/v1/invoices")["data"]:
            if invoice["status"] == "open":
                api.ok("POST", f"/v1/invoices/{invoice['id']}/pay", json={})
        for _ in range(6):
            run(session_factory, clock, sender)
            clock.advance(timedelta(minutes=10))

        recorded = every_event(api)
        assert len(recorded) >= 10
        assert {e["type"] for e in recorded} >= {"subscription.created", "invoice.paid"}
        assert everything.processed == {e["id"]: 1 for e in recorded}
        assert everything.duplicates == {}
        assert {k: v["type"] for k, v in everything.payloads.items()} == {
            e["id"]: e["type"] for e in recorded
        }
        invoice_events = {e["id"]: 1 for e in recorded if e["type"].startswith("invoice.")}
        assert invoices.processed == invoice_events
        assert len(everything.received) == len(recorded) + 3  # the three retried ones
        assert all(r.verified_by for r in everything.received + invoices.received)
        assert (
            merchant.live.ok("GET", f"/v1/webhook_endpoints/{live['id']}/deliveries")["data"] == []
        )


def test_timeouts_and_long_answers_are_logged_briefly(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    receiver: Receiver,
) -> None:
    endpoint = add_endpoint(api, receiver)
    impatient = Sender(allow_private=True, timeout=0.3)
    try:
        receiver.gate.clear()  # the receiver hangs
        first = record(session_factory, merchant)
        run(session_factory, clock, impatient)
        receiver.gate.set()
        while not receiver.received:  # the hung request, answered to nobody
            time.sleep(0.01)
        row = delivery(session_factory, first)
        assert row.status == "pending"
        assert row.attempt_count == 1
        receiver.answer(Answer(502, body="x" * 5000))
        clock.advance(timedelta(seconds=6))
        run(session_factory, clock, impatient)
    finally:
        impatient.close()
    [entry] = log(api, endpoint["id"])
    timed_out, long = entry["attempts"]
    assert timed_out["error"] == "Timed out after 0.3 s."
    assert timed_out["status_code"] is None
    assert long["status_code"] == 502
    assert long["response_excerpt"] == "x" * 1024
    # 502 holds the endpoint back for a while even without a Retry-After.
    with unit_of_work(session_factory) as session:
        found = session.get_one(WebhookEndpoint, (merchant.account_id, endpoint["id"]))
        assert found.throttled_until == clock.now() + webhooks_out.THROTTLE_PAUSE


def test_the_worker_keeps_one_sender_for_its_life() -> None:
    # Making one loads the system's certificates: once per process, not per batch.
    from recura.notifications.webhooks_out import _sender

    assert _sender(True, 15.0) is _sender(True, 15.0)
    assert _sender(True, 15.0) is not _sender(False, 15.0)
    assert _sender(False, 2.0).timeout == 2.0


def test_an_endpoint_taking_batches_gets_its_events_together_each_once(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    endpoint = add_endpoint(api, receiver, batch_size=3)
    assert endpoint["batch_size"] == 3
    events_ = [record(session_factory, merchant) for _ in range(7)]
    assert run(session_factory, clock, sender) == 7

    # Three requests (3, 3 and 1 events), each verified under an id of its own.
    assert len(receiver.received) == 3
    assert all(got.verified_by == receiver.secrets for got in receiver.received)
    bodies = [receiver.payloads[got.webhook_id] for got in receiver.received]
    assert sorted(len(b["data"]) for b in bodies) == [1, 3, 3]
    assert {b["type"] for b in bodies} == {"batch"}
    assert all(got.webhook_id.startswith("batch_") for got in receiver.received)
    sent = [element for b in bodies for element in b["data"]]
    assert sorted(e["id"] for e in sent) == sorted(events_)  # each event once
    assert sent[0] == {
        "id": sent[0]["id"],
        "type": "invoice.paid",
        "timestamp": "2026-01-15T09:30:00Z",
        "data": sample_payload("invoice.paid", "inv_1").json_data(),
    }
    entries = log(api, endpoint["id"])
    assert {e["status"] for e in entries} == {"succeeded"}
    assert len(entries) == 7


def test_a_failed_batch_is_retried_for_each_of_its_deliveries(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    add_endpoint(api, receiver, batch_size=10)
    events_ = [record(session_factory, merchant) for _ in range(4)]
    receiver.answer(Answer(500, body="boom"))
    run(session_factory, clock, sender)
    failed = [delivery(session_factory, e) for e in events_]
    assert {(d.status, d.attempt_count, d.last_status_code) for d in failed} == {
        ("pending", 1, 500)
    }
    # Due again after the first delay: the same events, the same batch id, now accepted.
    later = FixedClock(T0 + DELAYS[0] * (1 + JITTER) + timedelta(seconds=1))
    run(session_factory, later, sender)
    assert {delivery(session_factory, e).status for e in events_} == {"succeeded"}
    first, second = receiver.received
    assert first.webhook_id == second.webhook_id
    assert len(receiver.payloads[second.webhook_id]["data"]) == 4


@pytest.mark.parametrize("size", [0, 101, "10"])
def test_a_batch_size_is_a_whole_number_from_1_to_100(
    api: Api, receiver: Receiver, size: object
) -> None:
    body = {"url": receiver.url, "batch_size": size}
    problem = api.ok("POST", "/v1/webhook_endpoints", 422, json=body)
    assert problem["errors"][0]["pointer"] == "#/batch_size"


def test_an_endpoint_is_switched_to_batches_and_back(api: Api, receiver: Receiver) -> None:
    endpoint = add_endpoint(api, receiver)
    assert endpoint["batch_size"] == 1
    path = f"/v1/webhook_endpoints/{endpoint['id']}"
    assert api.ok("PATCH", path, json={"batch_size": 50})["batch_size"] == 50
    assert api.ok("PATCH", path, json={"batch_size": 1})["batch_size"] == 1


def test_each_sending_thread_has_a_client_of_its_own() -> None:
    # Threads sharing one client's pool had a connection closed under a request now and
    # then, after it was sent: the event went twice.
    import threading

    sender = Sender(allow_private=True)
    mine = sender.client
    assert sender.client is mine
    theirs: list[object] = []
    thread = threading.Thread(target=lambda: theirs.append(sender.client))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    sender.close()


def test_a_batch_fills_up_to_the_endpoints_batch_size_beyond_one_claims_worth(
    api: Api,
    merchant: Merchant,
    session_factory: Factory,
    clock: FixedClock,
    sender: Sender,
    receiver: Receiver,
) -> None:
    # A claim takes enough for BATCH requests, not BATCH deliveries: 120 events to an
    # endpoint taking 100 a request go in two requests, not three of at most 50.
    add_endpoint(api, receiver, batch_size=100)
    assert webhooks_out.BATCH < 100
    for _ in range(120):
        record(session_factory, merchant)
    assert run(session_factory, clock, sender) == 120
    sizes = sorted(len(receiver.payloads[got.webhook_id]["data"]) for got in receiver.received)
    assert sizes == [20, 100]
