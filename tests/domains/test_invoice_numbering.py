"""Invoice numbers are gapless and increasing per series, under concurrency and rollbacks."""

from __future__ import annotations

import threading
from typing import Any

from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.invoices.numbering import next_number
from tests.conftest import Merchant


class Abort(Exception):
    pass


def test_sequential_numbers_per_series_and_mode(merchant: Merchant, session_factory: Any) -> None:
    test = Tenant(merchant.account_id, livemode=False)
    live = Tenant(merchant.account_id, livemode=True)
    with unit_of_work(session_factory) as session:
        taken = [next_number(session, test, "NDT") for _ in range(3)]
        taken.append(next_number(session, live, "NDT"))
        taken.append(next_number(session, test, "CRD"))
    assert taken == ["NDT-000001", "NDT-000002", "NDT-000003", "NDT-000001", "CRD-000001"]


def test_concurrent_finalisations_leave_no_gap(merchant: Merchant, session_factory: Any) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    committed: list[str] = []
    lock = threading.Lock()

    def finalise(index: int) -> None:
        try:
            with unit_of_work(session_factory) as session:
                number = next_number(session, tenant, "GAP")
                if index % 4 == 0:
                    raise Abort  # a crash after taking a number gives it back
        except Abort:
            return
        with lock:
            committed.append(number)

    threads = [threading.Thread(target=finalise, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    numbers = sorted(int(n.split("-")[1]) for n in committed)
    assert numbers == list(range(1, 19))
