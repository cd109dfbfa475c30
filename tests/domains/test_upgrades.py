"""What a subscriber would get on a higher plan: the same product's plans on the same
interval that cost more in the subscription's currency, and what they add or raise."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.plans.upgrades import higher_plans
from tests.conftest import T0, Api, Merchant
from tests.scenarios.world import World


def feature(api: Api, code: str, kind: str) -> str:
    body = {"code": code, "name": code.title(), "kind": kind}
    return str(api.ok("POST", "/v1/features", 201, json=body)["id"])


def test_higher_plans_and_what_they_add(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, T0)
    sso, seats, reports = (
        feature(api, "sso", "boolean"),
        feature(api, "seats", "limit"),
        feature(api, "reports", "boolean"),
    )

    def grants(**values: Any) -> list[dict[str, Any]]:
        ids = {"sso": sso, "seats": seats, "reports": reports}
        return [{"feature": ids[k], "value": v} for k, v in values.items()]

    pro = world.plan(4900, features=grants(seats=5, reports=True))
    business = world.plan(9900, name="Business", features=grants(seats=20, sso=True, reports=True))
    unlimited = world.plan(19900, name="Unlimited", features=grants(seats=None, sso=False))
    world.plan(1900, name="Basic", features=grants(seats=1))  # cheaper
    world.plan(4900, name="Same price")  # not more
    world.plan(99000, interval="year", name="Yearly")  # another interval
    euro = {"pricing_model": "flat", "prices": [{"currency": "EUR", "amount": 99999}]}
    world.plan(name="Euro only", **euro)  # not sold in RON
    archived = world.plan(29900, name="Old")
    api.ok("POST", f"/v1/plans/{archived}/archive", json={})
    other = api.ok("POST", "/v1/products", 201, json={"name": "Other"})["id"]
    world.plan(50000, product=other, name="Other product")

    sub = world.subscribe(world.customer(), pro)["id"]
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(session_factory) as session:
        found = higher_plans(session, tenant, sub)
    assert [(p.plan_id, p.amount, p.more_than_now) for p in found] == [
        (business, 9900, 5000),
        (unlimited, 19900, 15000),
    ]
    assert found[0].currency == "RON"
    gained = {g.code: (g.value, g.before, g.added) for g in found[0].gains}
    assert gained == {"seats": (20, 5, False), "sso": (True, None, True)}
    # Unlimited seats raise 5; an "off" switch and a feature kept as is add nothing.
    gained = {g.code: (g.value, g.before, g.added) for g in found[1].gains}
    assert gained == {"seats": (None, 5, False)}

    top = world.subscribe(world.customer(), unlimited)["id"]
    with unit_of_work(session_factory) as session:
        assert higher_plans(session, tenant, top) == []
