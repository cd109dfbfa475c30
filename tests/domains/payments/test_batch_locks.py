"""A batch of charge answers takes its locks once, for all its rows (`db/held.py`), and the
code that records one answer then finds them held instead of asking for each again."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.invoices import repository as invoices
from recura.domains.payments import locks
from recura.domains.subscriptions import repository as subscriptions
from tests.conftest import Api, Merchant
from tests.domains.payments.test_unknown_outcomes import customer_with_invoice
from tests.statements import statements


def test_rows_locked_with_their_batch_are_not_locked_again(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    tenant = Tenant(merchant.account_id, False)
    pairs = [customer_with_invoice(api, "tok_sandbox_visa") for _ in range(3)]
    account = merchant.account_id
    with unit_of_work(session_factory) as session:
        found = invoices.lock_many(session, [(account, invoice) for _, invoice in pairs])
        assert sorted(i.id for i in found) == sorted(invoice for _, invoice in pairs)
        subs = subscriptions.lock_many(session, [(account, i.subscription_id) for i in found])
        locks.hold_customers(session, [(tenant, customer) for customer, _ in pairs])
        with statements(engine) as said:
            for customer, invoice_id in pairs:
                assert invoices.get_for_update(session, tenant, invoice_id) in found
                locks.hold_customer(session, tenant, customer)
            for sub in subs:
                assert subscriptions.get_for_update(session, tenant, sub.id) is sub
        assert said == []

    # In a new transaction nothing is held: each is locked again, with a statement.
    with unit_of_work(session_factory) as session, statements(engine) as said:
        invoices.get_for_update(session, tenant, pairs[0][1])
        assert any("FROM INVOICES" in statement for statement in said)


def test_a_batch_locks_its_customers_in_one_statement(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    tenant = Tenant(merchant.account_id, False)
    customers = [customer_with_invoice(api, "tok_sandbox_visa")[0] for _ in range(3)]
    with unit_of_work(session_factory) as session, statements(engine) as said:
        locks.hold_customers(session, [(tenant, c) for c in customers])
    expected = 1 if engine.dialect.name == "postgresql" else 0  # SQLite: one writer anyway
    assert len(said) == expected
    if expected:
        # Held until the transaction ends: another session cannot take one meanwhile.
        with unit_of_work(session_factory) as first:
            locks.hold_customers(first, [(tenant, customers[1])])
            with unit_of_work(session_factory) as second:
                name = f"money:{tenant.account_id}:{customers[1]}"
                key = func.hashtextextended(name, 0)
                taken = second.execute(select(func.pg_try_advisory_xact_lock(key))).scalar_one()
                assert taken is False
