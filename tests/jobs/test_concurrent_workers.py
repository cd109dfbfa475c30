"""Worker processes racing over the same due subscriptions on PostgreSQL, one of them
killed mid-batch: every subscription is billed exactly once and the numbers have no gap."""

from __future__ import annotations

import signal
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Invoice, Subscription
from recura.db.unit_of_work import unit_of_work
from recura.domains.subscriptions import due
from tests.factories import seed_due_subscriptions
from tests.fakes.worker_process import finish, start_worker, wait_while_running

pytestmark = pytest.mark.slow

# Batches of due work are what the workers claim and race over: one the doomed worker
# commits, the one it dies in, and two more left for the racers, so each of them claims a
# batch while the other holds one. More subscriptions only make more of the same batches.
SUBSCRIPTIONS = 4 * due.BATCH


def worker(database_url: str) -> subprocess.Popen[bytes]:
    return start_worker(database_url)


@pytest.mark.postgres
def test_two_workers_and_a_crash_bill_each_subscription_once(
    session_factory: sessionmaker[Session], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED claims are a PostgreSQL matter; SQLite serialises writers")
    end = datetime.now(UTC) - timedelta(hours=1)
    account_id = seed_due_subscriptions(
        session_factory, SUBSCRIPTIONS, (end - timedelta(days=30), end), metered=True
    )

    def renewed() -> int:
        with unit_of_work(session_factory) as session:
            stmt = select(func.count()).where(
                Invoice.account_id == account_id, Invoice.reason == "subscription_cycle"
            )
            return session.scalar(stmt) or 0

    doomed = worker(database_url)
    # Killed once it has committed a batch, in the middle of the next ones.
    wait_while_running(doomed, lambda: renewed() > 0, "its first batch was committed")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    assert renewed() < SUBSCRIPTIONS
    for racer in [worker(database_url) for _ in range(2)]:
        finish(racer)

    with unit_of_work(session_factory) as session:
        renewals = (
            select(Invoice.subscription_id, func.count())
            .where(Invoice.account_id == account_id, Invoice.reason == "subscription_cycle")
            .group_by(Invoice.subscription_id)
        )
        counts = {sub: count for sub, count in session.execute(renewals)}
        assert len(counts) == SUBSCRIPTIONS
        assert set(counts.values()) == {1}
        numbers = session.scalars(select(Invoice.number).where(Invoice.account_id == account_id))
        # The seeded history holds numbers 1..N; the renewals continue it without a gap.
        assert sorted(numbers) == [f"BEN-{n:06d}" for n in range(1, 2 * SUBSCRIPTIONS + 1)]
        due = select(func.count()).where(
            Subscription.account_id == account_id,
            Subscription.next_action_at <= datetime.now(UTC),
        )
        assert session.scalar(due) == 0
