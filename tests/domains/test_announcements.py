"""Which announcements a customer is shown now: published, not ended nor archived, and
targeting one of their subscriptions' product, plan or status; in their language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.announcements import service
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from tests.conftest import T0, Api, Merchant
from tests.scenarios.world import World, iso

EN = {"title": "Hello", "body": "Read **this** <script>x</script>"}
RO = {"title": "Salut", "body": "Citiți **asta**"}


def publish(api: Api, **body: Any) -> str:
    made = api.ok("POST", "/v1/announcements", 201, json={"texts": {"en": EN}, **body})
    api.ok("POST", f"/v1/announcements/{made['id']}/publish", json={})
    return str(made["id"])


def test_what_each_customer_is_shown(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, T0)
    pro, basic = world.plan(4900, trial_days=14), world.plan(1900)
    other_product = api.ok("POST", "/v1/products", 201, json={"name": "Other"})["id"]
    other_plan = api.ok(
        "POST",
        "/v1/plans",
        201,
        json={
            "product": other_product,
            "code": "other",
            "name": "Other",
            "interval_unit": "month",
            "interval_count": 1,
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 100}],
        },
    )["id"]
    trialing = world.customer(locale="ro")
    world.subscribe(trialing, pro)  # trialing
    active = world.customer()
    world.subscribe(active, basic)
    nobody = world.customer(card=None)

    everyone = publish(api, texts={"en": EN, "ro": RO})
    for_trials = publish(api, statuses=["trialing"])
    for_basic = publish(api, plans=[basic])
    for_product = publish(api, products=[world.product], statuses=["active"])
    publish(api, products=[other_product])
    publish(api, plans=[other_plan], statuses=["trialing"])
    draft = api.ok("POST", "/v1/announcements", 201, json={"texts": {"en": EN}})["id"]
    gone = publish(api)
    api.ok("POST", f"/v1/announcements/{gone}/archive", json={})
    ending = publish(api, ends_at=iso(T0 + timedelta(hours=1)))

    tenant = Tenant(merchant.account_id, False)

    def shown(customer: str, later: timedelta = timedelta(0)) -> list[str]:
        with unit_of_work(session_factory) as session:
            found = service.for_customer(session, tenant, customer, T0 + later)
        assert draft not in [s.id for s in found]
        return [s.id for s in found]

    # Newest first; the same publishing instant orders by id, newest first too.
    assert shown(trialing) == [ending, for_trials, everyone]
    assert shown(active) == [ending, for_product, for_basic, everyone]
    assert shown(nobody) == [ending, everyone]
    assert shown(nobody, timedelta(hours=2)) == [everyone]  # ended

    with unit_of_work(session_factory) as session:
        ro = service.for_customer(session, tenant, trialing, T0)
        en = service.for_customer(session, tenant, active, T0)
        forced = service.for_customer(session, tenant, active, T0, language="ro")
    assert (ro[-1].language, ro[-1].title) == ("ro", "Salut")
    assert str(ro[-1].body_html) == "<p>Citiți <strong>asta</strong></p>"
    assert (en[-1].title, en[-1].body_text) == ("Hello", "Read this <script>x</script>")
    assert "&lt;script&gt;" in str(en[-1].body_html)
    assert forced[-1].title == "Salut"
    # Written only in English: a Romanian reader gets it in English.
    assert (ro[1].language, ro[1].title) == ("en", "Hello")

    other = Tenant(merchant.account_id, True)
    with unit_of_work(session_factory) as session, pytest.raises(NotFoundError):
        service.for_customer(session, other, active, T0)
