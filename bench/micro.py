"""The small measurements comments in the code refer to (bench/README.md), each one choice
against its alternative on data shaped like the hot path's, in this process; no database.

    .venv/bin/python bench/micro.py

Prints, for each, the best of several runs of both and their ratio.
"""

from __future__ import annotations

import json
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic_core import TzInfo

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def best(fn: Callable[[], Any], number: int) -> float:
    # CPU time: on a shared machine, wall time measures the neighbours too.
    return min(timeit.repeat(fn, number=number, repeat=7, timer=time.process_time)) / number


def compare(label: str, chosen: Callable[[], Any], other: Callable[[], Any], n: int) -> None:
    a, b = best(chosen, n), best(other, n)
    print(f"{label}: {a * 1e3:.3f} ms against {b * 1e3:.3f} ms, {b / a:.1f}x")


def payloads() -> list[dict[str, Any]]:
    """A billing batch's event data: a subscription's state."""
    return [
        {
            "id": f"sub_{n:020d}",
            "customer": f"cus_{n:020d}",
            "plan": "plan_000000000000000001",
            "status": "active",
            "current_period_start": "2026-01-01T00:00:00Z",
            "current_period_end": "2026-02-01T00:00:00Z",
            "cancel_at_period_end": False,
            "trial_end": None,
            "mrr": 4900,
        }
        for n in range(1000)
    ]


def usage_batch() -> bytes:
    """A POST /v1/usage_events body of 1,000 events."""
    events = [
        {
            "transaction_id": f"tx_{n:012d}",
            "customer": "cus_000000000000000001",
            "metric": "api_calls",
            "timestamp": "2026-01-01T10:00:00Z",
            "properties": {"count": n % 7, "region": "eu"},
        }
        for n in range(1000)
    ]
    return json.dumps({"events": events}).encode()


def main() -> None:
    data = payloads()
    compare(
        "encode 1,000 event payloads (db/bulk.py), orjson against json",
        lambda: orjson.dumps(data).decode(),
        lambda: json.dumps(data),
        20,
    )
    body = usage_batch()
    compare(
        "parse a 1,000-event usage body (api/routing.py), orjson against json",
        lambda: orjson.loads(body),
        lambda: json.loads(body),
        20,
    )
    documents = [orjson.dumps(p) for p in data]
    compare(
        "parse 1,000 JSON column values as bytes (db/engine.py), orjson against json",
        lambda: [orjson.loads(d) for d in documents],
        lambda: [json.loads(d) for d in documents],
        20,
    )
    rows = [(f"tx_{n}", T0 + timedelta(seconds=n), n) for n in range(1000)]
    compare(
        "encode 1,000 rows with instants (usage/repository.py), orjson against json.dumps",
        lambda: orjson.dumps(rows).decode(),
        lambda: json.dumps(rows, default=datetime.isoformat),
        20,
    )
    # As pydantic parses them: its own tzinfo, shared by the times of one request.
    zone = TzInfo(0)
    times = [(T0 + timedelta(seconds=n)).astimezone(zone) for n in range(1000)]
    bound_same = (T0 + timedelta(seconds=500)).astimezone(zone)
    bound_utc = T0 + timedelta(seconds=500)
    compare(
        "compare 1,000 instants with a bound (usage/service.py), same tzinfo against another",
        lambda: [t < bound_same for t in times],
        lambda: [t < bound_utc for t in times],
        200,
    )


if __name__ == "__main__":
    main()
