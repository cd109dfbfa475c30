"""Issuing invoices: a second invoice for the same billing event cannot exist."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Invoice, Subscription
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.subscriptions import billing, service
from tests.conftest import Api
from tests.scenarios.world import World


def test_the_same_period_and_reason_cannot_be_invoiced_twice(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, datetime(2026, 4, 1, tzinfo=UTC), timezone="UTC")
    sub_id = world.subscribe(world.customer(), world.plan(3000))["id"]
    account_id = api.ok("GET", "/v1/account")["id"]
    tenant = Tenant(account_id, livemode=False)
    with unit_of_work(session_factory) as session:
        sub = session.get_one(Subscription, (account_id, sub_id))
        b = service.billing_of(session, tenant, sub)
        period = b.current()
        inputs = b.inputs(billing.advance_lines(b, period))
        # The creation invoice of this period exists: issuing it again must fail.
        with pytest.raises(IntegrityError):
            billing.issue(session, tenant, b, billing.CREATE, inputs, period, period.start)
        session.rollback()
    with unit_of_work(session_factory) as session:
        count = session.scalar(select(func.count()).where(Invoice.account_id == account_id))
    assert count == 1
