"""One way to charge: the API's pay, the portal's pages, test clocks and the worker ask the
processor with no database transaction open, each attempt on record before it is sent.

The processor here is the sandbox, watched as it is asked: at each charge a connection of
its own tries to take the write lock (SQLite) or looks for a transaction left open between
two statements (PostgreSQL)."""

from __future__ import annotations

import ast
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session, sessionmaker

import recura
from recura.clock import FixedClock
from recura.db.models import Account
from recura.db.unit_of_work import unit_of_work
from recura.gateways.base import ChargeRequest, ChargeResult
from recura.gateways.sandbox import SandboxGateway
from recura.jobs.worker import run_once
from tests.conftest import T0, Api, Merchant
from tests.domains.payments.test_unknown_outcomes import attempts, customer_with_invoice
from tests.own_database import database_url, engine, session_factory
from tests.portal.conftest import get, post, sign, subscriber
from tests.scenarios.world import World

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]

MONTH = timedelta(days=31)


def transaction_open(engine: Engine) -> bool:
    """Whether a transaction other than this check's holds the database: on SQLite, another
    connection cannot take the write lock at once; on PostgreSQL, a session sits between two
    statements of a transaction."""
    if engine.dialect.name == "sqlite":
        probe = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            return True
        else:
            probe.execute("ROLLBACK")
            return False
        finally:
            probe.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        waiting = conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
            )
        )
    return bool(waiting)


@pytest.fixture
def charges(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each charge the sandbox is asked for, whether a transaction was open meanwhile."""
    seen: list[bool] = []
    charge = SandboxGateway.charge

    def watched(self: SandboxGateway, request: ChargeRequest) -> ChargeResult:
        seen.append(transaction_open(engine))
        return charge(self, request)

    monkeypatch.setattr(SandboxGateway, "charge", watched)
    return seen


def test_the_check_sees_a_transaction_holding_the_database(
    merchant: Merchant, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    assert not transaction_open(engine)
    with unit_of_work(session_factory) as session:
        session.execute(
            update(Account).where(Account.id == merchant.account_id).values(locale="en")
        )
        assert transaction_open(engine)
    assert not transaction_open(engine)


@pytest.mark.parametrize("idempotent", [False, True])
def test_paying_through_the_api(api: Api, charges: list[bool], idempotent: bool) -> None:
    _, invoice = customer_with_invoice(api, "tok_sandbox_visa")
    headers = {"Idempotency-Key": f"pay-{invoice}"} if idempotent else {}
    paid = api.ok("POST", f"/v1/invoices/{invoice}/pay", json={}, headers=headers)
    assert paid["status"] == "paid"
    assert [p["status"] for p in attempts(api, invoice)] == ["succeeded"]
    assert charges == [False]


def test_the_worker_collecting(
    api: Api, session_factory: sessionmaker[Session], charges: list[bool]
) -> None:
    _, invoice = customer_with_invoice(api, "tok_sandbox_visa")
    run_once(session_factory, FixedClock(T0))
    assert [p["status"] for p in attempts(api, invoice)] == ["succeeded"]
    assert charges
    assert not any(charges)


def test_a_test_clock_advancing(api: Api, charges: list[bool]) -> None:
    world = World(api, T0)
    plan = world.plan(4900)
    subs = [world.subscribe(world.customer(), plan)["id"] for _ in range(3)]
    world.advance_to(T0 + 3 * MONTH)
    for sub in subs:
        assert [i["status"] for i in world.invoices(sub)] == ["paid"] * 4
    assert len(charges) == 12
    assert not any(charges)


def test_the_portal_pages(api: Api, merchant: Merchant, charges: list[bool]) -> None:
    who = subscriber(api, "en", card="tok_sandbox_declined")
    path = f"/portal/payment-method/{sign(merchant, 'update_payment_method', who)}"
    page = get(api.client, path)
    done = post(api.client, path, page.form("sandbox-form") | {"token": "tok_sandbox_mastercard"})
    assert "Invoice NDT-000001 (RON 59.29) was paid." in done.text

    who.world.act(who.subscription, "cancel")
    path = f"/portal/reactivate/{sign(merchant, 'reactivate', who)}"
    again = post(api.client, path, get(api.client, path).form())
    assert "Invoice NDT-000002 (RON 59.29) was paid." in again.text
    # The first (declined) attempt, the overdue invoice paid, the restarted subscription's.
    assert charges == [False, False, False]


def test_only_collection_asks_the_processor_for_a_charge() -> None:
    """Every charge goes through `collection` (`charge_now`, or the worker's batches): no
    other module calls a processor's `charge` or records an attempt's answer itself."""
    root = Path(recura.__file__).parent
    # The reconciler settles attempts already made (it asks, under the attempt's own key)
    # with collection's own `lookup` and `finish`.
    allowed = {root / "domains/payments/collection.py", root / "domains/payments/reconcile.py"}
    found = []
    for path in sorted(root.rglob("*.py")):
        if path in allowed or root / "gateways" in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            called = node.func
            owner = called.value.id if isinstance(called.value, ast.Name) else ""
            if called.attr == "charge" or (
                owner == "collection" and called.attr in {"send", "finish", "send_or_lookup"}
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []
