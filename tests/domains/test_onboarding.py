"""A customer's guide and completing its steps through the domain functions the portal
calls: once per customer and step, with its event, by the subscriber or the merchant."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Event, OnboardingCompletion
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.onboarding import guide
from tests.conftest import T0, Api, Merchant
from tests.scenarios.world import World


def test_completing_a_step_once_and_the_progress(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, T0)
    plan = world.plan(4900)
    texts = {"en": {"title": "Bank", "body": "[Go](https://x.ro)"}, "ro": {"title": "Banca"}}
    api.ok("POST", "/v1/onboarding_steps", 201, json={"code": "bank", "plan": plan, "texts": texts})
    api.ok(
        "POST", "/v1/onboarding_steps", 201, json={"code": "team", "texts": {"en": {"title": "T"}}}
    )
    customer = world.customer(locale="ro")
    sub = world.subscribe(customer, plan)["id"]
    tenant = Tenant(merchant.account_id, False)

    with unit_of_work(session_factory) as session:
        found = guide.guide(session, tenant, customer)
        assert (found.done, found.total, found.finished, found.language) == (0, 2, False, "ro")
        assert [s.title for s in found.steps] == ["Banca", "T"]
        english = guide.guide(session, tenant, customer, subscription_id=sub, language="en")
        assert english.steps[0].title == "Bank"
        assert english.steps[0].body_text == "Go (https://x.ro)"
        first = guide.complete(session, tenant, customer, "bank", "subscriber", T0)
    with unit_of_work(session_factory) as session:
        again = guide.complete(session, tenant, customer, first.step_id, "merchant", T0)
        assert (again.id, again.completed_by) == (first.id, "subscriber")
        found = guide.guide(session, tenant, customer)
        assert (found.done, found.total) == (1, 2)
        assert found.steps[0].done
        assert found.steps[0].completed_by == "subscriber"
        guide.complete(session, tenant, customer, "team", "subscriber", T0)
        assert guide.guide(session, tenant, customer).finished
    with unit_of_work(session_factory) as session:
        completions = session.scalars(
            select(OnboardingCompletion).where(OnboardingCompletion.customer_id == customer)
        ).all()
        assert len(completions) == 2
        events = session.scalars(
            select(Event).where(
                Event.account_id == merchant.account_id,
                Event.type == "onboarding_step.completed",
            )
        ).all()
        assert sorted(e.object_id for e in events) == sorted(c.id for c in completions)

    with unit_of_work(session_factory) as session, pytest.raises(NotFoundError):
        guide.guide(session, Tenant(merchant.account_id, True), customer)
    with unit_of_work(session_factory) as session, pytest.raises(NotFoundError):
        guide.complete(session, tenant, customer, "obs_00000000000000000000000000", "merchant", T0)
