"""The metrics filtered by plan and by product, on both backends, against the definition:
a customer's MRR in a plan (or product) is that of its subscriptions of it. A random
history of subscriptions moving between prices and between plans (two products of two
plans each), folded in pieces, gives for each plan and product the day movements that
`core.metrics.movements` gives over that scope's own changes, worked out here from the
history (a subscription leaving a plan drops to nothing in it); and the flows, cohorts,
MRR and movements read for each scope equal the definitions over those movements. A
rebuild gives the same rows, with customers moving country midway; a hand-worked upgrade
shows the kinds."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura import ids
from recura.core import metrics
from recura.core.metrics import MrrChange
from recura.db.models import Account, Event, MrrMovement
from recura.db.models.metric_rollup_daily import ALL
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.events import service as events
from recura.domains.events.payloads import EventType
from recura.domains.metrics import ratios, rollups
from recura.domains.metrics.repository import Segment
from tests.conftest import Api, Merchant
from tests.domains.metrics.test_dimensions import check_segment, fold_some
from tests.domains.metrics.test_month_rollups import fold_all, in_order_but_a_few, month_rows

START = datetime(2025, 1, 3, 12, tzinfo=UTC)
DAYS = 420
PRICES = (0, 1900, 4900, 9900)

# (when, customer, subscription, plan, MRR after, set to end)
Change = tuple[datetime, str, str, str, int, bool]


def catalog(api: Api) -> dict[str, str]:
    """Two products of two plans each: plan -> its product."""
    found = {}
    for p in range(2):
        product = api.ok("POST", "/v1/products", 201, json={"name": f"Product {p}"})["id"]
        for n in range(2):
            body = {
                "product": product,
                "code": f"p{p}_{n}",
                "name": f"Plan {p}.{n}",
                "pricing_model": "flat",
                "prices": [{"currency": "RON", "amount": 1900}],
            }
            found[api.ok("POST", "/v1/plans", 201, json=body)["id"]] = product
    return found


def history(rng: random.Random, customers: list[str], plans: list[str]) -> list[Change]:
    """30 subscriptions of the customers, each moving between prices and plans, some set
    to end at period end, a few pairs out of order."""
    found = []
    for n in range(30):
        customer, sub = rng.choice(customers), f"sub_s{n}"
        at = START + timedelta(days=rng.uniform(0, DAYS))
        mrr, plan = 0, rng.choice(plans)
        for _ in range(rng.randrange(1, 7)):
            price = rng.choice(PRICES if mrr else PRICES[1:])
            if rng.random() < 0.4:
                plan = rng.choice(plans)
            ending = price > 0 and rng.random() < 0.2
            found.append((at, customer, sub, plan, price, ending))
            mrr = price
            at += timedelta(days=rng.choice([0, 1, 9, 31, 45, 80]))
    return in_order_but_a_few(found)


def add_events(factory: sessionmaker[Session], tenant: Tenant, made: list[Change]) -> None:
    with unit_of_work(factory) as session:
        mrr: dict[str, int] = {}
        for at, customer, sub, plan, after, ending in made:
            data = {
                "id": sub,
                "customer": customer,
                "plan": plan,
                "status": "active" if after else "canceled",
                "cancel_at_period_end": ending,
            }
            delta, mrr[sub] = after - mrr.get(sub, 0), after
            kind = EventType.SUBSCRIPTION_UPDATED
            row = events.json_row(tenant, kind, data, at, mrr_delta=delta, mrr_currency="RON")
            session.add(Event(id=ids.new_id("event"), **row))


def scope_changes(
    made: list[Change], scope: str, product_of: dict[str, str], zone: ZoneInfo
) -> list[MrrChange]:
    """The definition: `scope`'s changes, in the order folded. A change of a subscription
    now in `scope` sets its MRR there; one that takes it out of `scope` sets it to none."""
    found, was_in = [], {}
    for at, customer, sub, plan, after, ending in made:
        now_in = {plan, product_of[plan]}
        day = at.astimezone(zone).date()
        if scope in now_in:
            found.append(MrrChange(day, customer, sub, "RON", 0, ending, mrr=after))
        elif scope in was_in.get(sub, set()):
            found.append(MrrChange(day, customer, sub, "RON", 0, False, mrr=0))
        was_in[sub] = now_in
    return found


def stored(session: Session, tenant: Tenant, scope: str) -> list[metrics.Movement]:
    rows = session.scalars(
        select(MrrMovement).where(
            MrrMovement.account_id == tenant.account_id, MrrMovement.scope == scope
        )
    )
    return sorted(
        (
            metrics.Movement(
                r.day, r.customer_id, r.currency, metrics.MovementType(r.type), r.amount
            )
            for r in rows
        ),
        key=lambda m: (m.day, m.customer),
    )


@pytest.mark.parametrize("seed_value", [6, 7])
def test_plan_and_product_metrics_equal_the_definition(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], seed_value: int
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    rng = random.Random(seed_value)
    product_of = catalog(api)
    customers = [
        api.ok("POST", "/v1/customers", 201, json={"email": f"s{n}@example.ro", "name": f"S {n}"})[
            "id"
        ]
        for n in range(10)
    ]
    made = history(rng, customers, sorted(product_of))
    add_events(session_factory, tenant, made)
    limit = rng.choice([3, 7, 20])
    fold_some(session_factory, batches=4, limit=limit)
    # Midway, some customers move country: their plans' and products' counts move too.
    moved = rng.sample(customers, 4)
    for customer in moved:
        api.ok("PATCH", f"/v1/customers/{customer}", json={"country": "DE"})
    fold_all(session_factory, limit=limit)
    with unit_of_work(session_factory) as session:
        zone = ZoneInfo(session.get_one(Account, merchant.account_id).timezone)
        chosen = ratios.account_metrics(session, tenant).settings
        everyone = stored(session, tenant, ALL)
        first = min(m.day for m in everyone).replace(day=1)
        last = max(m.day for m in everyone)
        for scope in (*sorted(product_of), *sorted(set(product_of.values()))):
            expected = metrics.movements(scope_changes(made, scope, product_of, zone), chosen)
            found = stored(session, tenant, scope)
            assert found == sorted(expected, key=lambda m: (m.day, m.customer)), scope
            check_segment(session, tenant, Segment(scope=scope), found, first, last)
            in_de = [m for m in found if m.customer in moved]
            check_segment(session, tenant, Segment("DE", scope=scope), in_de, first, last)
        pieces = month_rows(session, tenant)
    with unit_of_work(session_factory) as session:
        rollups.rebuild(session, tenant)
    with unit_of_work(session_factory) as session:
        assert month_rows(session, tenant) == pieces


def test_an_upgrade_to_another_plan_of_the_product(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    """Ana pays 19.00 on plan A from Jan 10 and moves to plan B (same product) at 49.00
    on Mar 5. Plan A: new 1900 in January, churn -1900 in March. Plan B: new 4900 in
    March. The product: new 1900, then expansion 3000. All plans: the same as the
    product. The API filters say so too."""
    tenant = Tenant(merchant.account_id, livemode=False)
    product_of = catalog(api)
    a, b = sorted(p for p, of in product_of.items() if of == min(product_of.values()))
    product = product_of[a]
    ana = api.ok("POST", "/v1/customers", 201, json={"email": "ana@example.ro", "name": "Ana"})
    made = [
        (datetime(2026, 1, 10, 9, tzinfo=UTC), ana["id"], "sub_ana", a, 1900, False),
        (datetime(2026, 3, 5, 9, tzinfo=UTC), ana["id"], "sub_ana", b, 4900, False),
    ]
    add_events(session_factory, tenant, made)
    fold_all(session_factory, limit=10)
    expected = {
        a: [(date(2026, 1, 10), "new", 1900), (date(2026, 3, 5), "churn", -1900)],
        b: [(date(2026, 3, 5), "new", 4900)],
        product: [(date(2026, 1, 10), "new", 1900), (date(2026, 3, 5), "expansion", 3000)],
        ALL: [(date(2026, 1, 10), "new", 1900), (date(2026, 3, 5), "expansion", 3000)],
    }
    with unit_of_work(session_factory) as session:
        for scope, moves in expected.items():
            assert [(m.day, m.type.value, m.amount) for m in stored(session, tenant, scope)] == (
                moves
            )
    window = {"start": "2026-01-01", "end": "2026-03-31", "currency": "RON"}
    by_plan = api.ok("GET", "/v1/metrics/mrr", params={**window, "plan": a})["data"]
    assert [p["mrr"] for p in by_plan] == [1900, 1900, 0]
    assert by_plan[2]["movements"]["churn"] == -1900
    by_product = api.ok("GET", "/v1/metrics/mrr", params={**window, "product": product})["data"]
    assert [p["mrr"] for p in by_product] == [1900, 1900, 4900]
    assert by_product[2]["movements"]["expansion"] == 3000
    listed = api.ok("GET", "/v1/metrics/mrr_movements", params={**window, "plan": b})["data"]
    assert [(m["customer"], m["type"], m["amount"]) for m in listed] == [(ana["id"], "new", 4900)]
    churn = api.ok("GET", "/v1/metrics/churn", params={**window, "plan": a})["data"]
    assert [p["churned_customers"] for p in churn] == [0, 0, 1]
    for bad, pointer in (
        ({"plan": a, "product": product}, "/product"),
        ({"plan": "plan_nothere"}, "/plan"),
        ({"product": "prod_nothere"}, "/product"),
    ):
        response = api.request("GET", "/v1/metrics/mrr", params={**window, **bad})
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")
        assert pointer in response.text
    response = api.request("GET", "/v1/metrics/ltv", params={**window, "plan": a})
    assert response.status_code == 422
