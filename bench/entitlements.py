"""GET /v1/customers/{id}/entitlements under a steady open-loop load, on PostgreSQL.

    .venv/bin/python bench/entitlements.py [--customers 10000] [--rate 200] [--seconds 20]
                                           [--connections 4] [--processes 1]

Creates its own database on the server of RECURA_BENCH_PG_ADMIN (default: the test server's
`test` database) and migrates it; makes an account and an API key; starts the real app under
uvicorn on loopback ports (one process by default: 200 requests/s keep it about half
busy, and on this 2-core machine a second one only competes with PostgreSQL and the load
generator for the cores, which shows in the tail); creates a catalog through the API (2
billable metrics, 8 features, 3 plans, 2 add-ons); then loads customers straight into the
tables: most with a live subscription (some with two, some with add-ons, a few canceled or
none at all) and about 60 usage events each, some from before their current period.

The load generator sends requests on a fixed schedule (open loop: a slow answer does not
delay the next request) over a few keep-alive connections; a request that waits for a free
connection counts that wait in its latency. Every endpoint gets the same load, one after
another: GET /healthz (no database: the HTTP stack alone), GET /v1/customers/{id}
(authentication and one row) and the entitlements. Each line also gives the server's CPU
per request and how busy the whole machine was: on a shared machine, other work shows in the
latencies, and CPU per request tells the endpoint's own cost apart from that. The database
is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from common import bench_account, database, free_port
from sqlalchemy import Engine, event, insert, select

from recura.db.engine import make_engine, make_session_factory
from recura.db.models import Customer, PlanVersion, Subscription, SubscriptionAddOn
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.entitlements import service as entitlements
from recura.ids import new_id

ROOT = Path(__file__).resolve().parents[1]
EVENTS_PER_CUSTOMER = 60
TARGET_P99_MS = 5.0


@dataclass(frozen=True)
class Seeded:
    account_id: str
    token: str
    customers: list[str]


def engine_for(url: str) -> Engine:
    return make_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def account(engine: Engine, secret: str) -> tuple[str, str]:
    with unit_of_work(make_session_factory(engine)) as session:
        return bench_account(engine, session, secret, datetime.now(UTC))


def catalog(base: str, token: str) -> dict[str, list[str]]:
    """Metrics, features, plans and add-ons through the API, as a merchant would."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:

        def create(path: str, body: dict[str, Any]) -> str:
            response = http.post(path, json=body)
            if response.status_code != 201:
                raise SystemExit(f"POST {path}: {response.text}")
            object_id: str = response.json()["id"]
            return object_id

        calls = create(
            "/v1/billable_metrics",
            {"code": "api_calls", "name": "API calls", "aggregation": "count"},
        )
        gb = create(
            "/v1/billable_metrics",
            {"code": "storage_gb", "name": "Storage", "aggregation": "sum", "field_name": "gb"},
        )
        kinds = {
            "sso": ("boolean", None),
            "audit_log": ("boolean", None),
            "api_access": ("boolean", None),
            "projects": ("limit", None),
            "seats": ("limit", None),
            "webhooks": ("limit", None),
            "api_calls": ("metered", calls),
            "storage": ("metered", gb),
        }
        feature = {
            code: create(
                "/v1/features",
                {"code": code, "name": code, "kind": kind}
                | ({"billable_metric": metric} if metric else {}),
            )
            for code, (kind, metric) in kinds.items()
        }
        product = create("/v1/products", {"name": "Bench CRM"})
        plan_grants: dict[str, dict[str, Any]] = {
            "starter": {"api_access": True, "projects": 3, "seats": 2, "api_calls": 10_000},
            "pro": {
                "api_access": True,
                "audit_log": False,
                "projects": 20,
                "seats": 10,
                "webhooks": 5,
                "api_calls": 100_000,
                "storage": 50,
            },
            "enterprise": {
                "api_access": True,
                "audit_log": True,
                "sso": True,
                "projects": None,
                "seats": 100,
                "webhooks": None,
                "api_calls": None,
                "storage": 1000,
            },
        }
        plans = [
            create(
                "/v1/plans",
                {
                    "product": product,
                    "code": code,
                    "name": code,
                    "pricing_model": "flat",
                    "prices": [{"currency": "RON", "amount": 4900}],
                    "features": [{"feature": feature[f], "value": v} for f, v in grants.items()],
                },
            )
            for code, grants in plan_grants.items()
        ]
        add_on_grants: dict[str, dict[str, Any]] = {
            "boost": {"projects": 10, "api_calls": 50_000, "storage": 100},
            "compliance": {"audit_log": True, "sso": True},
        }
        add_ons = [
            create(
                "/v1/add_ons",
                {
                    "code": code,
                    "name": code,
                    "pricing_model": "flat",
                    "prices": [{"currency": "RON", "amount": 1000}],
                    "features": [{"feature": feature[f], "value": v} for f, v in grants.items()],
                },
            )
            for code, grants in add_on_grants.items()
        ]
    return {"plans": plans, "add_ons": add_ons}


def _customer(account_id: str, customer_id: str, now: datetime) -> dict[str, Any]:
    return {
        "id": customer_id,
        "account_id": account_id,
        "livemode": False,
        "name": "Bench customer",
        **dict.fromkeys(("external_id", "email", "country", "locale", "currency", "vat_id")),
        "address": None,
        "tax_rate": None,
        "test_clock_id": None,
        "metadata_": {},
        "archived_at": None,
        "created_at": now,
        "updated_at": now,
    }


def _subscription(
    account_id: str, customer_id: str, plan: tuple[str, str], status: str, start: datetime
) -> dict[str, Any]:
    end = start + timedelta(days=30)
    return {
        "id": new_id("subscription"),
        "account_id": account_id,
        "livemode": False,
        "created_at": start,
        "updated_at": start,
        "customer_id": customer_id,
        "plan_id": plan[0],
        "plan_version_id": plan[1],
        "status": status,
        "currency": "RON",
        "quantity": Decimal(1),
        "interval_unit": "month",
        "interval_count": 1,
        "alignment": "anniversary",
        "billing_anchor": start,
        "current_period_start": start,
        "current_period_end": end,
        "trial_end": end if status == "trialing" else None,
        "cancel_at_period_end": False,
        "canceled_at": start if status == "canceled" else None,
        "ended_at": start if status == "canceled" else None,
        "paused_at": None,
        "resume_at": None,
        "pending_change": None,
        "pending_change_at": None,
        "trial_notice_sent": False,
        "coupon_id": None,
        "promotion_code_id": None,
        "discount_periods_left": None,
        "mrr": 4900,
        "collection_method": "charge_automatically",
        "next_action_at": end,
        "test_clock_id": None,
        "metadata_": {},
        "lock_version": 0,
    }


def seed(engine: Engine, url: str, account_id: str, ids: dict[str, list[str]], count: int) -> None:
    """Customers, subscriptions and add-ons by bulk insert; usage events by COPY."""
    rng = random.Random(7)  # noqa: S311  (seeded: the same data every run)
    now = datetime.now(UTC)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        versions = dict(
            session.execute(
                select(PlanVersion.plan_id, PlanVersion.id).where(
                    PlanVersion.account_id == account_id
                )
            ).all()
        )
    plans = [(plan, versions[plan]) for plan in ids["plans"]]
    customers, subscriptions, add_ons, starts = [], [], [], {}
    for _ in range(count):
        customer_id = new_id("customer")
        customers.append(_customer(account_id, customer_id, now))
        start = now - timedelta(days=rng.uniform(0, 29))
        starts[customer_id] = start
        roll = rng.random()
        if roll < 0.03:
            continue  # no subscription at all
        status = (
            "canceled"
            if roll < 0.08
            else rng.choices(["active", "trialing", "past_due"], [85, 9, 6])[0]
        )
        sub = _subscription(account_id, customer_id, rng.choice(plans), status, start)
        subscriptions.append(sub)
        for add_on, share in zip(ids["add_ons"], (0.3, 0.1), strict=True):
            if rng.random() < share:
                add_ons.append(
                    {
                        "id": new_id("subscription_add_on"),
                        "account_id": account_id,
                        "livemode": False,
                        "created_at": start,
                        "subscription_id": sub["id"],
                        "add_on_id": add_on,
                        "quantity": Decimal(rng.randint(1, 3)),
                    }
                )
        if rng.random() < 0.1:  # a second subscription, on another anchor
            other = now - timedelta(days=rng.uniform(0, 29))
            subscriptions.append(
                _subscription(account_id, customer_id, rng.choice(plans), "active", other)
            )
    with unit_of_work(factory) as session:
        for model, rows in ((Customer, customers), (Subscription, subscriptions)):
            for offset in range(0, len(rows), 2000):
                session.execute(insert(model), rows[offset : offset + 2000])
        session.execute(insert(SubscriptionAddOn), add_ons)
    columns = "account_id, livemode, id, created_at, customer_id, code, transaction_id, "
    columns += "timestamp, properties"
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY usage_events ({columns}) FROM STDIN") as copy:
            for number, (customer_id, start) in enumerate(starts.items()):
                # From 10 days before the current period began until now.
                span = (now - start).total_seconds() + 10 * 86400
                for index in range(EVENTS_PER_CUSTOMER):
                    at = now - timedelta(seconds=rng.uniform(0, span))
                    storage = index % 3 == 0
                    copy.write_row(
                        (
                            account_id,
                            False,
                            new_id("usage_event"),
                            at,
                            customer_id,
                            "storage_gb" if storage else "api_calls",
                            f"tx-{number}-{index}",
                            at,
                            json.dumps({"gb": rng.randint(1, 40) / 4} if storage else {}),
                        )
                    )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        # The dirty pages of the seeding (and of benchmarks run before this one) written out
        # now, so that no checkpoint writing them falls in a measured minute.
        conn.execute("CHECKPOINT")


def queries_per_request(engine: Engine, account_id: str, customers: list[str]) -> str:
    """The statements one entitlements answer takes, on a customer with the most features."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    factory = make_session_factory(engine)
    tenant = Tenant(account_id, livemode=False)
    most, features = customers[0], -1
    with unit_of_work(factory) as session:
        for customer_id in customers[:200]:
            found = len(
                entitlements.for_customer(session, tenant, customer_id, datetime.now(UTC)).features
            )
            if found > features:
                most, features = customer_id, found
    event.listen(engine, "before_cursor_execute", record)
    with unit_of_work(factory) as session:
        entitlements.for_customer(session, tenant, most, datetime.now(UTC))
    event.remove(engine, "before_cursor_execute", record)
    return f"{len(statements)} SQL statements for {features} features (plus authentication)"


@dataclass(frozen=True)
class Server:
    address: tuple[str, int]
    pid: int


@contextmanager
def servers(url: str, secret: str, processes: int) -> Iterator[list[Server]]:
    """`processes` single-process uvicorn servers, each on its own loopback port: N stateless
    API processes behind a balancer, as DESIGN.md scales. Not `uvicorn --workers N`: on this
    machine its workers answered each keep-alive connection only every ~44 ms (the Nagle and
    delayed-ACK signature), even at 50 requests/s, which measures TCP, not the app."""
    env = {
        **os.environ,
        "RECURA_DATABASE_URL": url,
        "RECURA_SECRET_KEY": secret,
        "RECURA_EMBEDDED_WORKER": "false",
    }
    started: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for _ in range(processes):
            port = free_port()
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "recura.api.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ]
            started.append((subprocess.Popen(command, env=env, cwd=ROOT), port))  # noqa: S603
        deadline = time.monotonic() + 300  # imports alone take a while on a busy machine
        for process, port in started:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.1)
        yield [Server(("127.0.0.1", port), process.pid) for process, port in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            process.wait(timeout=30)


def _jiffies(pid: str) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def servers_cpu(running: list[Server]) -> float:
    """CPU seconds the servers have used so far."""
    return sum(_jiffies(str(server.pid)) for server in running) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int]:
    """Busy and total jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Result:
    latencies: list[float]
    lateness: list[float]
    seconds: float
    errors: list[str]
    server_cpu_ms: float = 0.0  # per request
    machine_busy: float = 0.0  # cores busy on average, every process included

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def line(self, label: str) -> str:
        rate = len(self.latencies) / self.seconds
        late = sorted(self.lateness)[int(0.99 * len(self.lateness))] * 1000
        return (
            f"{label}\n    p50 {self.percentile(50):.2f} ms  p90 {self.percentile(90):.2f} ms  "
            f"p99 {self.percentile(99):.2f} ms  max {max(self.latencies) * 1000:.1f} ms  "
            f"mean {statistics.fmean(self.latencies) * 1000:.2f} ms  {rate:.1f} req/s  "
            f"errors {len(self.errors)}\n    server CPU {self.server_cpu_ms:.2f} ms/request, "
            f"machine busy {self.machine_busy:.2f} of {os.cpu_count()} cores, "
            f"sender p99 late {late:.2f} ms"
        )


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _load(
    addresses: list[tuple[str, int]],
    requests: Callable[[int], bytes],
    rate: float,
    seconds: float,
    connections: int,
) -> Result:
    """Send rate x seconds requests on schedule; each waits for a free keep-alive connection
    (connections go round the servers, and a request takes whichever is free first)."""
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for number in range(connections):
        idle.put_nowait(await asyncio.open_connection(*addresses[number % len(addresses)]))
    latencies: list[float] = []
    lateness: list[float] = []
    errors: list[str] = []

    async def one(number: int, due: float) -> None:
        began = loop.time()
        lateness.append(began - due)
        reader, writer = await idle.get()
        writer.write(requests(number))
        status, body = await _response(reader)
        latencies.append(loop.time() - began)
        idle.put_nowait((reader, writer))
        if status != 200:
            errors.append(f"{status} {body[:200]!r}")

    total = int(rate * seconds)
    started = loop.time() + 0.05
    tasks = []
    for number in range(total):
        due = started + number / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(number, due)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - started
    while not idle.empty():
        _, writer = idle.get_nowait()
        writer.close()
    return Result(latencies, lateness, elapsed, errors)


def load(
    running: list[Server],
    requests: Callable[[int], bytes],
    rate: float,
    seconds: float,
    connections: int,
) -> Result:
    """Run the load and account the CPU it cost."""
    before = servers_cpu(running)
    busy, total = machine_cpu()
    addresses = [server.address for server in running]
    result = asyncio.run(_load(addresses, requests, rate, seconds, connections))
    busy_after, total_after = machine_cpu()
    result.server_cpu_ms = (servers_cpu(running) - before) / len(result.latencies) * 1000
    cores = os.cpu_count() or 1
    result.machine_busy = (busy_after - busy) / max(total_after - total, 1) * cores
    return result


def get(path: Callable[[int], str], token: str | None = None) -> Callable[[int], bytes]:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""

    def request(number: int) -> bytes:
        return f"GET {path(number)} HTTP/1.1\r\nHost: bench\r\n{auth}\r\n".encode()

    return request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20, help="per endpoint")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections")
    parser.add_argument("--processes", type=int, default=1, help="uvicorn server processes")
    args = parser.parse_args()
    secret = secrets.token_urlsafe(48)
    with database("entitlements") as url:
        engine = engine_for(url)
        account_id, token = account(engine, secret)
        with servers(url, secret, args.processes) as running:
            host, port = running[0].address
            base = f"http://{host}:{port}"
            began = time.perf_counter()
            ids = catalog(base, token)
            seed(engine, url, account_id, ids, args.customers)
            with engine.connect() as conn:
                customers = list(
                    conn.scalars(select(Customer.id).where(Customer.account_id == account_id))
                )
            print(
                f"seeded {len(customers):,} customers, "
                f"{len(customers) * EVENTS_PER_CUSTOMER:,} usage events "
                f"in {time.perf_counter() - began:.1f} s"
            )
            print(queries_per_request(engine, account_id, customers))
            rng = random.Random(11)  # noqa: S311
            order = [rng.choice(customers) for _ in range(int(args.rate * args.seconds))]
            targets = {
                "GET /healthz": get(lambda n: "/healthz"),
                "GET /v1/customers/{id}": get(
                    lambda n: f"/v1/customers/{order[n % len(order)]}", token
                ),
                "GET /v1/customers/{id}/entitlements": get(
                    lambda n: f"/v1/customers/{order[n % len(order)]}/entitlements", token
                ),
            }
            # Warm every path (connections, statement caches, the planner) before measuring.
            for request in targets.values():
                load(running, request, args.rate, 3, args.connections)
            print(
                f"open loop, {args.rate:.0f} req/s for {args.seconds:.0f} s each, "
                f"{args.connections} connections over {args.processes} uvicorn processes:"
            )
            results = {}
            for label, request in targets.items():
                results[label] = load(running, request, args.rate, args.seconds, args.connections)
                print(results[label].line(label))
                if results[label].errors:
                    print(f"  first error: {results[label].errors[0]}")
        engine.dispose()
    measured = results["GET /v1/customers/{id}/entitlements"]
    for label in ("GET /healthz", "GET /v1/customers/{id}"):
        base_result = results[label]
        p50 = measured.percentile(50) / base_result.percentile(50)
        p99 = measured.percentile(99) / base_result.percentile(99)
        cpu = measured.server_cpu_ms / base_result.server_cpu_ms
        print(f"entitlements / {label}: p50 x{p50:.2f}, p99 x{p99:.2f}, server CPU x{cpu:.2f}")
    p99 = measured.percentile(99)
    verdict = "met" if p99 < TARGET_P99_MS else "NOT met"
    print(f"target p99 < {TARGET_P99_MS:.0f} ms: {verdict} ({p99:.2f} ms)")


if __name__ == "__main__":
    main()
