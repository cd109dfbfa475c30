"""GET /v1/customers/{id}/entitlements and the entitlements.updated event.

Customers here have no test clock: usage ingestion stamps events with the API's clock (the
`clock` fixture), which a test moves with `clock.advance`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.statements import statements

from recura.clock import FixedClock
from recura.db.models import Event, Subscription
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.entitlements import service

PERIOD = {"period_start": "2026-01-15T09:30:00Z", "period_end": "2026-02-15T09:30:00Z"}


def iso(delta: timedelta = timedelta(0)) -> str:
    return (T0 + delta).isoformat().replace("+00:00", "Z")


class Catalog:
    """Metrics, features, plans and add-ons created through the API."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
        self.calls = self._metric("api_calls", "count")
        self.gb = self._metric("storage_gb", "sum", field_name="gb")
        self.features = {
            "sso": self._feature("sso", "boolean"),
            "audit_log": self._feature("audit_log", "boolean"),
            "projects": self._feature("projects", "limit"),
            "seats": self._feature("seats", "limit"),
            "api_calls": self._feature("api_calls", "metered", billable_metric=self.calls),
            "exports": self._feature("exports", "metered", billable_metric=self.calls),
            "storage": self._feature("storage", "metered", billable_metric=self.gb),
        }
        self._codes = 0

    def _metric(self, code: str, aggregation: str, **extra: Any) -> str:
        body = {"code": code, "name": code, "aggregation": aggregation, **extra}
        metric_id: str = self.api.ok("POST", "/v1/billable_metrics", 201, json=body)["id"]
        return metric_id

    def _feature(self, code: str, kind: str, **extra: Any) -> str:
        body = {"code": code, "name": code, "kind": kind, **extra}
        feature_id: str = self.api.ok("POST", "/v1/features", 201, json=body)["id"]
        return feature_id

    def _code(self) -> str:
        self._codes += 1
        return f"c{self._codes}"

    def grants(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"feature": self.features[code], "value": v} for code, v in values.items()]

    def plan(self, grants: dict[str, Any], **over: Any) -> str:
        body = {
            "product": self.product,
            "code": self._code(),
            "name": "Pro",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 4900}],
            "features": self.grants(grants),
            **over,
        }
        plan_id: str = self.api.ok("POST", "/v1/plans", 201, json=body)["id"]
        return plan_id

    def add_on(self, grants: dict[str, Any]) -> str:
        body = {
            "code": self._code(),
            "name": "Extra",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 1000}],
            "features": self.grants(grants),
        }
        add_on_id: str = self.api.ok("POST", "/v1/add_ons", 201, json=body)["id"]
        return add_on_id

    def customer(self) -> str:
        customer_id: str = self.api.ok("POST", "/v1/customers", 201, json={"name": "Ana"})["id"]
        return customer_id

    def subscribe(self, customer: str, plan: str, **over: Any) -> dict[str, Any]:
        body = {"customer": customer, "plan": plan, **over}
        sub: dict[str, Any] = self.api.ok("POST", "/v1/subscriptions", 201, json=body)
        return sub

    def entitlements(self, customer: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api.ok("GET", f"/v1/customers/{customer}/entitlements")
        assert found["object"] == "entitlements"
        assert found["customer"] == customer
        return found

    def by_code(self, customer: str) -> dict[str, dict[str, Any]]:
        features = self.entitlements(customer)["features"]
        assert [f["code"] for f in features] == sorted(f["code"] for f in features)
        return {f.pop("code"): f for f in features}

    def usage(self, customer: str, transaction_id: str, code: str, **extra: Any) -> None:
        event = {"transaction_id": transaction_id, "customer": customer, "code": code, **extra}
        self.api.ok("POST", "/v1/usage_events", json=event)


@pytest.fixture
def shop(api: Api) -> Catalog:
    return Catalog(api)


def set_status(factory: sessionmaker[Session], subscription_id: str, status: str) -> None:
    with unit_of_work(factory) as session:
        session.execute(
            update(Subscription).where(Subscription.id == subscription_id).values(status=status)
        )


def test_plan_and_add_on_grants_combine(shop: Catalog) -> None:
    plan = shop.plan(
        {
            "sso": True,
            "audit_log": False,
            "projects": 10,
            "seats": 3,
            "api_calls": 10_000,
            "storage": None,
        }
    )
    boost = shop.add_on({"audit_log": True, "projects": 5, "api_calls": 1000})
    unlimited_seats = shop.add_on({"seats": None, "sso": False})
    cus = shop.customer()
    add_ons = [{"add_on": boost, "quantity": "2"}, {"add_on": unlimited_seats}]
    assert shop.subscribe(cus, plan, add_ons=add_ons)["status"] == "active"
    f = shop.features
    assert shop.entitlements(cus)["features"] == [
        {
            "feature": f["api_calls"],
            "code": "api_calls",
            "kind": "metered",
            "billable_metric": shop.calls,
            # The plan's 10,000 and two packs of 1,000.
            "limit": 12_000,
            "used": "0",
            "remaining": "12000",
            **PERIOD,
        },
        {"feature": f["audit_log"], "code": "audit_log", "kind": "boolean", "value": True},
        {"feature": f["projects"], "code": "projects", "kind": "limit", "limit": 20},
        {"feature": f["seats"], "code": "seats", "kind": "limit", "limit": None},
        {"feature": f["sso"], "code": "sso", "kind": "boolean", "value": True},
        {
            "feature": f["storage"],
            "code": "storage",
            "kind": "metered",
            "billable_metric": shop.gb,
            "limit": None,
            "used": "0",
            "remaining": None,
            **PERIOD,
        },
    ]


def test_every_live_subscription_adds_its_grants(shop: Catalog) -> None:
    cus = shop.customer()
    shop.subscribe(cus, shop.plan({"projects": 10, "audit_log": False}))
    other = shop.subscribe(cus, shop.plan({"projects": 7, "audit_log": True, "sso": False}))
    features = shop.by_code(cus)
    assert features["projects"]["limit"] == 17
    assert (features["audit_log"]["value"], features["sso"]["value"]) == (True, False)
    shop.api.ok("POST", f"/v1/subscriptions/{other['id']}/cancel", json={})
    features = shop.by_code(cus)
    assert features["projects"]["limit"] == 10
    assert features["audit_log"]["value"] is False
    assert "sso" not in features


def test_a_trial_grants_from_its_first_day(shop: Catalog) -> None:
    cus = shop.customer()
    sub = shop.subscribe(cus, shop.plan({"sso": True, "api_calls": 100}, trial_days=14))
    assert sub["status"] == "trialing"
    shop.usage(cus, "t1", "api_calls")
    features = shop.by_code(cus)
    assert features["sso"]["value"] is True
    assert features["api_calls"] | {"feature": "f"} == {
        "feature": "f",
        "kind": "metered",
        "billable_metric": shop.calls,
        "limit": 100,
        "used": "1",
        "remaining": "99",
        "period_start": iso(),
        "period_end": iso(timedelta(days=14)),
    }


def test_paused_and_canceled_subscriptions_grant_nothing(shop: Catalog) -> None:
    plan = shop.plan({"sso": True, "projects": 3})
    paused, canceled = shop.customer(), shop.customer()
    sub = shop.subscribe(paused, plan)
    assert shop.api.ok("POST", f"/v1/subscriptions/{sub['id']}/pause", json={})["status"] == (
        "paused"
    )
    assert shop.entitlements(paused)["features"] == []
    shop.api.ok("POST", f"/v1/subscriptions/{sub['id']}/resume", json={})
    assert set(shop.by_code(paused)) == {"projects", "sso"}
    sub = shop.subscribe(canceled, plan)
    assert shop.api.ok("POST", f"/v1/subscriptions/{sub['id']}/cancel", json={})["status"] == (
        "canceled"
    )
    assert shop.entitlements(canceled)["features"] == []


@pytest.mark.parametrize(
    ("status", "grants"),
    [
        ("trialing", True),
        ("active", True),
        ("past_due", True),
        ("incomplete", False),
        ("unpaid", False),
        ("paused", False),
        ("canceled", False),
    ],
)
def test_which_statuses_grant(
    shop: Catalog, session_factory: sessionmaker[Session], status: str, grants: bool
) -> None:
    cus = shop.customer()
    sub = shop.subscribe(cus, shop.plan({"sso": True}))
    set_status(session_factory, sub["id"], status)
    assert bool(shop.entitlements(cus)["features"]) is grants


def test_metered_usage_counts_in_the_current_period_only(shop: Catalog, clock: FixedClock) -> None:
    plan = shop.plan({"api_calls": 10, "exports": 2, "storage": 100})
    cus = shop.customer()
    # Before the subscription: not in its period.
    shop.usage(cus, "early", "api_calls")
    clock.advance(timedelta(days=1))
    sub = shop.subscribe(cus, plan)
    start, end = sub["current_period_start"], sub["current_period_end"]
    assert (start, end) == (iso(timedelta(days=1)), iso(timedelta(days=32)))
    for n in range(3):
        shop.usage(cus, f"call-{n}", "api_calls")
    shop.usage(cus, "gb-1", "storage_gb", properties={"gb": 2.5})
    shop.usage(cus, "gb-2", "storage_gb", properties={"gb": 10})
    # Past the period's end (the renewal has not run): the next period's usage.
    clock.advance(timedelta(days=32))
    shop.usage(cus, "late", "api_calls", timestamp=end)
    features = shop.by_code(cus)
    window = {"period_start": start, "period_end": end}
    assert features["api_calls"] | {"feature": "f"} == {
        "feature": "f",
        "kind": "metered",
        "billable_metric": shop.calls,
        "limit": 10,
        "used": "3",
        "remaining": "7",
        **window,
    }
    # The same metric under another cap: 3 used of 2 leaves nothing, not -1.
    assert (features["exports"]["used"], features["exports"]["remaining"]) == ("3", "0")
    assert (features["storage"]["used"], features["storage"]["remaining"]) == ("12.5", "87.5")


def test_unknown_and_other_tenants_customers_are_404(
    shop: Catalog, merchant: Merchant, client: Any, session_factory: sessionmaker[Session]
) -> None:
    cus = shop.customer()
    shop.subscribe(cus, shop.plan({"sso": True}))
    other = make_merchant(session_factory, client, name="Other SRL")
    for api in (other.api, merchant.live):
        response = api.get(f"/v1/customers/{cus}/entitlements")
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
    response = shop.api.get("/v1/customers/cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A/entitlements")
    assert response.status_code == 404
    # A customer without any subscription is known, and entitled to nothing.
    assert shop.entitlements(shop.customer())["features"] == []


def test_one_query_for_the_grants_and_one_for_all_usage(
    shop: Catalog,
    merchant: Merchant,
    engine: Engine,
    session_factory: sessionmaker[Session],
) -> None:
    cus = shop.customer()
    plan = shop.plan({"sso": True, "audit_log": True, "projects": 5, "api_calls": 10, "exports": 1})
    add_ons = [
        {"add_on": shop.add_on({"seats": 2, "projects": 1, "storage": 5})},
        {"add_on": shop.add_on({"seats": 3, "exports": 1})},
    ]
    shop.subscribe(cus, plan, add_ons=add_ons)
    shop.subscribe(cus, shop.plan({"projects": 1, "sso": False}))
    tenant = Tenant(merchant.account_id, livemode=False)
    with (
        unit_of_work(session_factory) as session,
        statements(engine, starting=("SELECT", "WITH")) as said,
    ):
        found = service.for_customer(session, tenant, cus, T0)
    assert len(found.features) == 7
    # Grants, then api_calls' metric (shared by two features) and storage_gb's, together.
    assert len(said) == 2, said


def entitlement_events(factory: sessionmaker[Session], customer: str) -> list[dict[str, Any]]:
    with unit_of_work(factory) as session:
        stmt = (
            select(Event.data)
            .where(Event.object_id == customer, Event.type == "entitlements.updated")
            .order_by(Event.id)
        )
        return list(session.scalars(stmt))


def limits(data: dict[str, Any]) -> dict[str, Any]:
    return {f["code"]: f.get("limit", f.get("value")) for f in data["features"]}


def test_record_update_writes_once_per_real_change(
    shop: Catalog, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)

    def record_update() -> list[dict[str, Any]]:
        with unit_of_work(session_factory) as session:
            service.record_update(session, tenant, cus, T0)
        return entitlement_events(session_factory, cus)

    cus = shop.customer()
    # Nothing granted and nothing recorded yet: no change.
    assert record_update() == []
    boost = shop.add_on({"projects": 5})
    sub = shop.subscribe(cus, shop.plan({"sso": True, "projects": 10, "api_calls": 100}))
    [first] = record_update()
    assert first == {
        "id": cus,
        "object": "entitlements",
        "customer": cus,
        "features": [
            {
                "feature": shop.features["api_calls"],
                "code": "api_calls",
                "kind": "metered",
                "billable_metric": shop.calls,
                "limit": 100,
            },
            {
                "feature": shop.features["projects"],
                "code": "projects",
                "kind": "limit",
                "limit": 10,
            },
            {"feature": shop.features["sso"], "code": "sso", "kind": "boolean", "value": True},
        ],
    }
    assert record_update() == [first]
    # Usage changes what is used, not what is granted.
    shop.usage(cus, "t1", "api_calls")
    assert record_update() == [first]
    path = f"/v1/subscriptions/{sub['id']}"
    shop.api.ok("POST", f"{path}/change", json={"add_ons": [{"add_on": boost}]})
    changed = record_update()
    assert [limits(data)["projects"] for data in changed] == [10, 15]
    shop.api.ok("POST", f"{path}/cancel", json={})
    ended = record_update()
    assert len(ended) == 3
    assert ended[-1]["features"] == []
    assert record_update() == ended
    # Listed with the other events, for webhooks.
    listed = shop.api.ok("GET", "/v1/events", params={"type": "entitlements.updated"})
    assert [e["object_id"] for e in listed["data"]] == [cus] * 3


def test_one_transaction_records_at_most_one_event(
    shop: Catalog, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    cus = shop.customer()
    sub = shop.subscribe(cus, shop.plan({"projects": 10}))
    with unit_of_work(session_factory) as session:
        service.record_update(session, tenant, cus, T0)
    [granted] = entitlement_events(session_factory, cus)

    def save_statuses(*statuses: str) -> None:
        with unit_of_work(session_factory) as session:
            row = session.get_one(Subscription, (merchant.account_id, sub["id"]))
            for status in statuses:
                row.status = status
                service.record_update(session, tenant, cus, T0)

    # Paused and resumed within one transaction: back where it started, nothing to tell.
    save_statuses("paused", "active")
    assert entitlement_events(session_factory, cus) == [granted]
    # Paused, then canceled: one event, with the final state.
    save_statuses("paused", "canceled")
    assert [limits(e) for e in entitlement_events(session_factory, cus)] == [{"projects": 10}, {}]
    # A rolled back transaction's event is forgotten: the session's next one writes its own.
    session = session_factory()
    try:
        for _ in range(2):
            session.get_one(Subscription, (merchant.account_id, sub["id"])).status = "active"
            service.record_update(session, tenant, cus, T0)
            session.flush()
            session.rollback()
        session.get_one(Subscription, (merchant.account_id, sub["id"])).status = "active"
        service.record_update(session, tenant, cus, T0)
        session.commit()
    finally:
        session.close()
    assert [limits(e) for e in entitlement_events(session_factory, cus)] == [
        {"projects": 10},
        {},
        {"projects": 10},
    ]
