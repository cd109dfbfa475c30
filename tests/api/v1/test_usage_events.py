from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.factories import insert_subscription

from recura.db.models import UsageEvent
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.usage import service
from recura.domains.usage.schemas import UsageEventBatchOut, UsageEventsCreate

CUS_UNKNOWN = "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A"


def iso(delta: timedelta = timedelta(0)) -> str:
    return (T0 + delta).isoformat().replace("+00:00", "Z")


def customer(api: Api) -> str:
    customer_id: str = api.ok("POST", "/v1/customers", 201, json={"name": "Ana"})["id"]
    return customer_id


def event(transaction_id: str, customer_id: str, **changes: Any) -> dict[str, Any]:
    return {"transaction_id": transaction_id, "customer": customer_id, "code": "api_calls"} | (
        changes
    )


def receipt(received: int, ingested: int, duplicates: list[str]) -> dict[str, Any]:
    return {
        "object": "usage_event_batch",
        "received": received,
        "ingested": ingested,
        "duplicates": duplicates,
    }


def stored(factory: sessionmaker[Session], account_id: str) -> list[UsageEvent]:
    with unit_of_work(factory) as session:
        query = select(UsageEvent).where(UsageEvent.account_id == account_id)
        return list(session.scalars(query.order_by(UsageEvent.transaction_id)))


def problem(response: Any) -> dict[str, str]:
    """The problem's errors as {pointer: detail}."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["pointer"]: e["detail"] for e in response.json()["errors"]}


def test_one_event_is_stored_with_the_request_time(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    cus = customer(api)
    body = event("tx-1", cus, properties={"gb": 12.5, "region": "eu", "ok": True, "n": 3})
    assert api.ok("POST", "/v1/usage_events", json=body) == receipt(1, 1, [])
    [row] = stored(session_factory, merchant.account_id)
    assert row.id.startswith("ue_")
    assert len(row.id) == 29
    assert (row.customer_id, row.code, row.transaction_id) == (cus, "api_calls", "tx-1")
    assert row.timestamp == T0
    assert row.created_at == T0
    assert row.properties == {"gb": 12.5, "region": "eu", "ok": True, "n": 3}
    assert row.livemode is False


def test_a_batch_drops_duplicates_stored_and_repeated(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    cus = customer(api)
    first = [event("a", cus), event("b", cus, timestamp=iso(-timedelta(hours=1)))]
    assert api.ok("POST", "/v1/usage_events", json={"events": first}) == receipt(2, 2, [])
    again = [event("b", cus), event("c", cus), event("c", cus), event("d", cus), event("a", cus)]
    answer = api.ok("POST", "/v1/usage_events", json={"events": again})
    assert answer == receipt(5, 2, ["b", "c", "a"])
    rows = stored(session_factory, merchant.account_id)
    assert [r.transaction_id for r in rows] == ["a", "b", "c", "d"]
    # The stored "b" keeps its own timestamp: a duplicate changes nothing.
    assert rows[1].timestamp == T0 - timedelta(hours=1)
    assert len({r.id for r in rows}) == 4
    # A single event that was already sent is a duplicate too, not an error.
    assert api.ok("POST", "/v1/usage_events", json=event("d", cus)) == receipt(1, 0, ["d"])


def test_test_and_live_mode_keep_their_own_transaction_ids(merchant: Merchant) -> None:
    test_cus, live_cus = customer(merchant.api), customer(merchant.live)
    assert merchant.api.ok("POST", "/v1/usage_events", json=event("x", test_cus))["ingested"] == 1
    assert merchant.live.ok("POST", "/v1/usage_events", json=event("x", live_cus))["ingested"] == 1
    # A test customer is unknown to a live key.
    assert problem(merchant.live.post("/v1/usage_events", json=event("y", test_cus))) == {
        "#/customer": f"no customer with id '{test_cus}'"
    }


def test_a_thousand_events_are_taken_and_one_more_refused(api: Api) -> None:
    cus = customer(api)
    batch = [event(f"tx-{i}", cus, properties={"i": i}) for i in range(1000)]
    assert api.ok("POST", "/v1/usage_events", json={"events": batch}) == receipt(1000, 1000, [])
    batch.append(event("tx-1000", cus))
    assert list(problem(api.post("/v1/usage_events", json={"events": batch}))) == ["#/events"]
    assert list(problem(api.post("/v1/usage_events", json={"events": []}))) == ["#/events"]


def test_an_unknown_customer_rejects_the_whole_batch(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    cus = customer(api)
    batch = [event(f"tx-{i}", cus) for i in range(3)] + [event("tx-3", CUS_UNKNOWN)]
    response = api.post("/v1/usage_events", json={"events": batch})
    assert problem(response) == {"#/events/3/customer": f"no customer with id '{CUS_UNKNOWN}'"}
    assert "no event was stored" in response.json()["detail"]
    assert stored(session_factory, merchant.account_id) == []


def test_another_tenants_customer_is_unknown(
    api: Api, session_factory: Any, client: Any, merchant: Merchant
) -> None:
    other = make_merchant(session_factory, client, "Other SRL")
    theirs = customer(other.api)
    response = api.post("/v1/usage_events", json={"events": [event("t", theirs)]})
    # Word for word what an id that exists nowhere gets: nothing tells the two apart.
    assert problem(response) == {"#/events/0/customer": f"no customer with id '{theirs}'"}
    assert stored(session_factory, merchant.account_id) == []
    assert stored(session_factory, other.account_id) == []


def test_every_bad_event_is_listed(api: Api) -> None:
    cus = customer(api)
    batch = [
        event("ok", cus),
        event("who", "cus_nobody"),
        event("late", cus, timestamp=iso(timedelta(minutes=6))),
        event("bad", cus, properties={"gb": {"nested": 1}}),
        event("", cus),
    ]
    pointers = problem(api.post("/v1/usage_events", json={"events": batch}))
    # Shape errors come first: the schema is checked before the database is asked.
    assert list(pointers) == ["#/events/3/properties", "#/events/4/transaction_id"]
    del batch[3:]
    pointers = problem(api.post("/v1/usage_events", json={"events": batch}))
    assert list(pointers) == ["#/events/1/customer", "#/events/2/timestamp"]


def test_timestamps_at_most_five_minutes_ahead(api: Api) -> None:
    cus = customer(api)
    edge = event("edge", cus, timestamp=iso(timedelta(minutes=5)))
    assert api.ok("POST", "/v1/usage_events", json=edge)["ingested"] == 1
    ahead = event("ahead", cus, timestamp=iso(timedelta(minutes=5, seconds=1)))
    assert problem(api.post("/v1/usage_events", json=ahead)) == {
        "#/timestamp": "is more than 5 minutes in the future"
    }
    # Any zone is taken and compared as the instant it names.
    bucharest = event("zone", cus, timestamp="2026-01-15T11:34:00+02:00")
    assert api.ok("POST", "/v1/usage_events", json=bucharest)["ingested"] == 1
    naive = event("naive", cus, timestamp="2026-01-15T09:00:00")
    assert list(problem(api.post("/v1/usage_events", json=naive))) == ["#/timestamp"]


def test_events_before_the_current_period_are_refused(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    cus = customer(api)
    plan = api.ok("POST", "/v1/plans", 201, json=plan_body(api, "p"))
    version = api.ok("GET", f"/v1/plans/{plan['id']}/versions")["data"][0]["id"]
    start = T0 - timedelta(days=10)
    sub = (merchant.account_id, cus, plan["id"], version)
    insert_subscription(session_factory, *sub, period=(start, start + timedelta(days=31)))
    # A later period of another live subscription does not close the earlier one; a
    # canceled subscription's period does not count at all.
    later = T0 - timedelta(days=2)
    insert_subscription(session_factory, *sub, period=(later, later + timedelta(days=31)))
    old = T0 - timedelta(days=60)
    insert_subscription(session_factory, *sub, period=(old, start), status="canceled")
    at_start = event("start", cus, timestamp=iso(-timedelta(days=10)))
    assert api.ok("POST", "/v1/usage_events", json=at_start)["ingested"] == 1
    before = event("before", cus, timestamp=iso(-timedelta(days=10, microseconds=1)))
    detail = problem(api.post("/v1/usage_events", json={"events": [before]}))[
        "#/events/0/timestamp"
    ]
    assert "the period it belongs to is closed" in detail
    assert "2026-01-05T09:30:00+00:00" in detail


def test_a_batch_in_several_zones_is_held_to_the_same_instants(api: Api) -> None:
    # The bounds are compared in the zone of the batch's first time; every other event is
    # still held to the instants its own offset names, at both ends.
    cus = customer(api)
    chatham, los_angeles = timezone(timedelta(hours=13, minutes=45)), timezone(-timedelta(hours=8))

    def at(delta: timedelta, zone: timezone) -> str:
        return (T0 + delta).astimezone(zone).isoformat()

    batch = [
        event("first", cus, timestamp=at(-timedelta(hours=1), chatham)),
        event("edge", cus, timestamp=iso(timedelta(minutes=5))),
        event("ahead", cus, timestamp=at(timedelta(minutes=5, seconds=1), los_angeles)),
        event("oldest", cus, timestamp=at(-timedelta(days=35), los_angeles)),
        event("older", cus, timestamp=at(-timedelta(days=35, seconds=1), chatham)),
        event("now", cus),
    ]
    assert list(problem(api.post("/v1/usage_events", json={"events": batch}))) == [
        "#/events/2/timestamp",
        "#/events/4/timestamp",
    ]
    taken = [batch[i] for i in (0, 1, 3, 5)]
    assert api.ok("POST", "/v1/usage_events", json={"events": taken}) == receipt(4, 4, [])


def test_without_a_subscription_events_may_be_35_days_old(api: Api) -> None:
    cus = customer(api)
    oldest = event("old", cus, timestamp=iso(-timedelta(days=35)))
    assert api.ok("POST", "/v1/usage_events", json=oldest)["ingested"] == 1
    older = event("older", cus, timestamp=iso(-timedelta(days=35, seconds=1)))
    assert "35 days" in problem(api.post("/v1/usage_events", json=older))["#/timestamp"]


@pytest.mark.parametrize(
    ("properties", "detail"),
    [
        ({"gb": None}, "'gb' must be a string, a number or a boolean"),
        ({"gb": [1]}, "'gb' must be a string, a number or a boolean"),
        ({"gb": "x" * 256}, "'gb' is longer than 255 characters"),
        ({"gb": "a\x00"}, "'gb' must not contain NUL characters"),
        ({"gb": 10**15 + 1}, "'gb' must be between -10^15 and 10^15"),
        ({"gb": 1.0000001}, "'gb' has more than 6 decimal places"),
        ({"gb": 1e9 + 0.5}, "'gb' with a fraction must be between -10^9 and 10^9"),
        ({"1gb": 1}, "'1gb' is not a property name ([A-Za-z_][A-Za-z0-9_.-]*)"),
        ({f"p{i}": i for i in range(51)}, "at most 50 properties"),
        ("gb", "must be an object"),
    ],
)
def test_properties_are_flat_and_exact(api: Api, properties: Any, detail: str) -> None:
    cus = customer(api)
    response = api.post("/v1/usage_events", json=event("p", cus, properties=properties))
    assert problem(response) == {"#/properties": detail}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_numbers_outside_json_are_refused(api: Api, number: str) -> None:
    # Sent by hand: httpx refuses to write them; Python's json would read them.
    body = json.dumps(event("p", customer(api), properties={"gb": 1})).replace("1}", f"{number}}}")
    headers = {"Content-Type": "application/json"}
    response = api.post("/v1/usage_events", content=body, headers=headers)
    assert problem(response) == {"#": "the body is not valid JSON"}


def test_whole_numbers_are_stored_as_integers(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    cus = customer(api)
    body = event("w", cus, properties={"a": 2.0, "b": -1e15, "c": 0.000001, "d": -999999999.5})
    api.ok("POST", "/v1/usage_events", json=body)
    [row] = stored(session_factory, merchant.account_id)
    assert row.properties == {"a": 2, "b": -(10**15), "c": 0.000001, "d": -999999999.5}
    assert isinstance(row.properties["a"], int)


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"transaction_id": "t", "customer": "c"}, "#/code"),
        ({"transaction_id": "t\x00", "customer": "c", "code": "x"}, "#/transaction_id"),
        ({"transaction_id": "t", "customer": "c", "code": "x", "extra": 1}, "#/extra"),
        ({"events": [{"transaction_id": "t", "customer": "c", "code": "Bad"}]}, "#/events/0/code"),
        ({"events": [], "code": "x"}, "#/events"),
    ],
)
def test_shape_errors_point_at_the_field(api: Api, body: Any, pointer: str) -> None:
    assert pointer in problem(api.post("/v1/usage_events", json=body))


def test_a_retry_with_the_same_idempotency_key_replays(api: Api) -> None:
    cus = customer(api)
    headers = {"Idempotency-Key": "usage-1"}
    first = api.ok("POST", "/v1/usage_events", json=event("i", cus), headers=headers)
    replay = api.post("/v1/usage_events", json=event("i", cus), headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first == receipt(1, 1, [])


def plan_body(api: Api, code: str, charges: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    return {
        "product": product,
        "code": code,
        "name": "Pro",
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 4900}],
        "charges": charges or [],
    }


def metric(api: Api, code: str, aggregation: str, field: str | None = None) -> str:
    body = {"code": code, "name": code, "aggregation": aggregation, "field_name": field}
    metric_id: str = api.ok("POST", "/v1/billable_metrics", 201, json=body)["id"]
    return metric_id


def test_current_usage_is_priced_with_graduated_tiers(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    calls, storage = metric(api, "api_calls", "count"), metric(api, "storage", "max", "gb")
    graduated = [
        {"up_to": "2", "unit_amount": "0", "flat_amount": 0},
        {"up_to": "4", "unit_amount": "150", "flat_amount": 500},
        {"up_to": None, "unit_amount": "100.5"},
    ]
    charges = [
        {
            "billable_metric": calls,
            "pricing_model": "tiered_graduated",
            "prices": [{"currency": "RON", "tiers": graduated}],
        },
        {
            "billable_metric": storage,
            "pricing_model": "per_unit",
            "prices": [{"currency": "EUR", "unit_amount": "7"}],
        },
    ]
    plan = api.ok("POST", "/v1/plans", 201, json=plan_body(api, "usage", charges))
    version = api.ok("GET", f"/v1/plans/{plan['id']}/versions")["data"][0]
    cus, other = customer(api), customer(api)
    start, end = T0 - timedelta(days=3), T0 + timedelta(days=28)
    keys = (merchant.account_id, cus, plan["id"], version["id"])
    sub = insert_subscription(session_factory, *keys, period=(start, end))
    insert_subscription(session_factory, *keys, period=(start, end), status="canceled")
    events = [event(f"c{i}", cus, timestamp=iso(-timedelta(hours=i))) for i in range(5)]
    events += [
        event("s1", cus, code="storage", properties={"gb": 3}),
        event("s2", cus, code="storage", properties={"gb": 1.25}),
        event("x", other),  # someone else's usage
    ]
    api.ok("POST", "/v1/usage_events", json={"events": events})

    usage = api.ok("GET", f"/v1/customers/{cus}/usage")
    [current] = usage["subscriptions"]
    assert (usage["object"], usage["customer"]) == ("customer_usage", cus)
    assert current == {
        "subscription": sub,
        "status": "active",
        "current_period_start": iso(-timedelta(days=3)),
        "current_period_end": iso(timedelta(days=28)),
        "charges": current["charges"],
        "total": {"amount": 901, "currency": "RON"},
    }
    # 5 calls: 2 free, 2 at 1.50 RON plus the tier's 5 RON fee, 1 at 1.005 RON (rounded up).
    calls_line = {"quantity": "5", "amount": {"amount": 300 + 500 + 101, "currency": "RON"}}
    storage_line = {"quantity": "3", "amount": None}  # the charge has no RON price
    ids = [c["id"] for c in version["charges"]]
    assert current["charges"] == [
        {"charge": ids[0], "billable_metric": calls, "code": "api_calls", "aggregation": "count"}
        | calls_line,
        {"charge": ids[1], "billable_metric": storage, "code": "storage", "aggregation": "max"}
        | storage_line,
    ]


def test_usage_of_a_customer_without_subscriptions_and_of_strangers(
    api: Api, session_factory: Any, client: Any
) -> None:
    cus = customer(api)
    empty = {"object": "customer_usage", "customer": cus, "subscriptions": []}
    assert api.ok("GET", f"/v1/customers/{cus}/usage") == empty
    assert api.get(f"/v1/customers/{CUS_UNKNOWN}/usage").status_code == 404
    other = make_merchant(session_factory, client, "Other SRL")
    assert other.api.get(f"/v1/customers/{cus}/usage").status_code == 404


def test_concurrent_batches_sharing_events_store_each_once(
    api: Api, merchant: Merchant, session_factory: Any
) -> None:
    cus = customer(api)
    tenant = Tenant(merchant.account_id, livemode=False)

    def send(body: UsageEventsCreate, barrier: threading.Barrier) -> UsageEventBatchOut:
        with unit_of_work(session_factory) as session:
            barrier.wait()
            return service.ingest(session, tenant, body, T0)

    for round_ in range(3):
        events = [event(f"r{round_}-{i:03d}", cus) for i in range(300)]
        # The same events in opposite orders: without a common order the two inserts would
        # wait for each other's rows (a deadlock on PostgreSQL).
        bodies = [UsageEventsCreate.model_validate({"events": e}) for e in (events, events[::-1])]
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, bodies, [threading.Barrier(2)] * 2))
        assert sum(a.ingested for a in answers) == 300
        assert sum(len(a.duplicates) for a in answers) == 300
    assert len(stored(session_factory, merchant.account_id)) == 900
