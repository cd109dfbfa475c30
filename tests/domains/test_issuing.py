"""Issuing invoices: a second invoice for the same billing event cannot exist, and credit is
spent once however many issue at the same time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Invoice, Subscription
from recura.db.unit_of_work import unit_of_work
from recura.domains.balances import service as balances
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import issuing
from recura.domains.subscriptions import invoicing, service
from tests.conftest import T0, Api, Merchant
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
        inputs = b.inputs(invoicing.advance_lines(b, period))
        # The creation invoice of this period exists: issuing it again must fail.
        with pytest.raises(IntegrityError):
            invoicing.issue(session, tenant, b, invoicing.CREATE, inputs, period, period.start)
        session.rollback()
    with unit_of_work(session_factory) as session:
        count = session.scalar(select(func.count()).where(Invoice.account_id == account_id))
    assert count == 1


def _customers_with_credit(merchant: Merchant, factory: sessionmaker[Session]) -> list[str]:
    """Three customers: the first with 500 of credit, the second with credit spent to 0."""
    ids = [merchant.api.ok("POST", "/v1/customers", 201, json={})["id"] for _ in range(3)]
    tenant = Tenant(merchant.account_id, livemode=False)
    with unit_of_work(factory) as session:
        balances.add(session, tenant, ids[0], "RON", 500, "adjustment", "credit", T0)
        balances.add(session, tenant, ids[1], "RON", 300, "adjustment", "credit", T0)
        balances.add(session, tenant, ids[1], "RON", -300, "invoice", "spent", T0)
    return ids


def test_issuing_locks_only_customers_with_credit(
    merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    ids = _customers_with_credit(merchant, session_factory)
    keys = {(merchant.account_id, False, c) for c in ids}
    locked: list[Any] = []

    def spy(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT customers.id"):
            locked.append(params)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        with unit_of_work(session_factory) as session:
            credit = issuing.credit_balances(session, keys, {"RON"}, lock=True)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert credit == {
        (merchant.account_id, False, ids[0], "RON"): 500,
        (merchant.account_id, False, ids[1], "RON"): 0,
    }
    assert len(locked) == 1
    assert ids[0] in str(locked[0])
    assert ids[1] not in str(locked[0])
    assert ids[2] not in str(locked[0])


@pytest.mark.postgres
def test_a_second_issuer_waits_for_the_credit_the_first_spends(
    merchant: Merchant, session_factory: sessionmaker[Session], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: no two issuers read at once")
    ids = _customers_with_credit(merchant, session_factory)
    tenant = Tenant(merchant.account_id, livemode=False)
    key = {(merchant.account_id, False, ids[0])}
    seen: list[dict[Any, int]] = []
    with unit_of_work(session_factory) as first:
        assert issuing.credit_balances(first, key, {"RON"}, lock=True) == {
            (merchant.account_id, False, ids[0], "RON"): 500
        }

        def second() -> None:
            with unit_of_work(session_factory) as session:
                seen.append(issuing.credit_balances(session, key, {"RON"}, lock=True))

        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive()  # read 500 without a lock, then waits for the customer
        balances.add(first, tenant, ids[0], "RON", -500, "invoice", "spent", T0)
    waiting.join(timeout=30)
    assert seen == [{(merchant.account_id, False, ids[0], "RON"): 0}]
