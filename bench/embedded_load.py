"""`recura serve` under many clients at once: the embedded default (SQLite, worker inside).

    .venv/bin/python bench/embedded_load.py [--clients 200] [--seconds 60] [--no-clock]
                                            [--database-url postgresql+psycopg://…/NAME]

Starts `recura serve` (API and embedded worker in one process) on a loopback port over a
fresh database: a new SQLite file in a temporary directory, or, with --database-url, a
PostgreSQL database of that name, dropped and created anew (and dropped afterwards). Seeds
through the API, in test and live mode: a catalog (a billable metric, a feature, a plan),
customers with subscriptions (--subscriptions of them on one test clock, each with a sandbox
card, as many more in live mode).

Then --clients clients run for --seconds, each on its own keep-alive connection, each a
closed loop: a request, its answer, a pause (uniform between 0 and twice --think seconds), the next.
Three requests in four read (customers, one customer, subscriptions, invoices,
entitlements); the rest write (new customers, usage events, quantity changes, customer
updates), half in live mode. At the same time one more client advances the test clock two
years (POST /v1/test_clocks/{id}/advance, --clock-step-days at a time) unless --no-clock.

Reports throughput, p50/p99/max latency by kind, errors by status (a timeout after
--timeout seconds or a dropped connection count as errors too) and the clock's progress.
The clock client's own requests are reported apart: each runs a long stretch of billing.
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
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from common import free_port
from sqlalchemy import make_url

from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import service as accounts
from recura.domains.accounts.schemas import AccountCreate

ROOT = Path(__file__).resolve().parents[1]
READ_SHARE = 0.75
Body = dict[str, Any]


@dataclass
class Keys:
    test: str
    live: str


@dataclass
class Mode:
    """What one mode's clients work on: ids made while seeding, and more as they write."""

    token: str
    customers: list[str]
    subscriptions: list[str]
    on_clock: bool = False
    changed: dict[str, float] = field(default_factory=dict)


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    clock_steps: list[tuple[int, float]] = field(default_factory=list)
    clock_reached: str = ""
    reopened: int = 0
    clock_unfinished: bool = False


# -- the database and the server ------------------------------------------------------------


@contextmanager
def fresh_database(url: str | None) -> Iterator[str]:
    """A SQLite file in a new temporary directory, or the PostgreSQL database `url` names,
    dropped and created anew (and dropped at the end)."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="recura-load-") as directory:
            yield f"sqlite:///{directory}/recura.db"
        return
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "postgresql" or not name:
        raise SystemExit("--database-url: a postgresql+psycopg://…/NAME URL")
    admin = parsed.set(drivername="postgresql", database="postgres")
    admin_url = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def account(url: str, secret: str) -> Keys:
    """Migrate, create the account (Bucharest time) and one test and one live key."""
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with unit_of_work(make_session_factory(engine)) as session:
        created = accounts.create_account(
            session,
            AccountCreate(
                legal_name="Load SRL",
                country="RO",
                default_currency="RON",
                timezone="Europe/Bucharest",
                locale="ro",
                invoice_series_prefix="LOD",
            ),
            now,
        )
        test = accounts.issue_key(session, created.id, False, "load", secret.encode(), now)
        live = accounts.issue_key(session, created.id, True, "load", secret.encode(), now)
    engine.dispose()
    return Keys(test.token, live.token)


@contextmanager
def server(url: str, secret: str, log: Path) -> Iterator[tuple[str, int]]:
    """`recura serve` with its embedded worker, on a free loopback port; what it writes goes
    to `log`."""
    port = free_port()
    env = {**os.environ, "RECURA_DATABASE_URL": url, "RECURA_SECRET_KEY": secret}
    env |= {"RECURA_LOG_LEVEL": "warning", "RECURA_EMBEDDED_WORKER": "true"}
    recura = Path(sys.executable).with_name("recura")
    command = [str(recura), "serve", "--host", "127.0.0.1", "--port", str(port)]
    output = log.open("wb")
    process = subprocess.Popen(  # noqa: S603
        command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # a busy machine starts it slowly
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        yield base, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # stuck threads: a stalled server may not stop
            process.kill()
            process.wait()
        output.close()


# -- seeding through the API ------------------------------------------------------------------


def seed(
    base: str, keys: Keys, subscriptions: int, clock_start: datetime
) -> tuple[Mode, Mode, str]:
    """Both modes' catalogs, customers and subscriptions; the test clock's id."""
    test = _seed_mode(base, keys.test, subscriptions, clock_start)
    live = _seed_mode(base, keys.live, subscriptions, None)
    return test[0], live[0], test[1]


def _seed_mode(base: str, token: str, count: int, clock_start: datetime | None) -> tuple[Mode, str]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:

        def create(path: str, body: Body, status: int = 201) -> str:
            response = http.post(path, json=body)
            if response.status_code != status:
                raise SystemExit(f"POST {path}: {response.status_code} {response.text}")
            object_id: str = response.json()["id"]
            return object_id

        metric = create(
            "/v1/billable_metrics",
            {"code": "api_calls", "name": "API calls", "aggregation": "count"},
        )
        feature = create(
            "/v1/features",
            {
                "code": "api_calls",
                "name": "API calls",
                "kind": "metered",
                "billable_metric": metric,
            },
        )
        product = create("/v1/products", {"name": "Load CRM"})
        plan = create(
            "/v1/plans",
            {
                "product": product,
                "code": "pro",
                "name": "Pro",
                "pricing_model": "per_unit",
                "prices": [{"currency": "RON", "unit_amount": 4900}],
                "features": [{"feature": feature, "value": 100_000}],
            },
        )
        clock = ""
        if clock_start is not None:
            frozen = clock_start.isoformat().replace("+00:00", "Z")
            clock = create("/v1/test_clocks", {"name": "two years", "frozen_time": frozen})

        def one(i: int) -> tuple[str, str]:
            body: Body = {"name": f"Load {i}", "email": f"load{i}@example.ro"}
            if clock:
                body["test_clock"] = clock
            customer = create("/v1/customers", body)
            sub: Body = {"customer": customer, "plan": plan, "trial_days": 0}
            if clock:
                card = {"gateway": "sandbox", "token": "tok_sandbox_visa"}
                create(f"/v1/customers/{customer}/payment_methods", card)
            else:
                sub["collection_method"] = "send_invoice"
            return customer, create("/v1/subscriptions", sub)

        with ThreadPoolExecutor(8) as pool:
            made = list(pool.map(one, range(count)))
    return Mode(token, [c for c, _ in made], [s for _, s in made], on_clock=bool(clock)), clock


# -- the load ---------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection, written and read by hand: an HTTP client library
    would take a good share of the two cores the server shares with this generator."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.reopened = 0

    async def request(
        self, method: str, path: str, token: str, body: Body | None
    ) -> tuple[int, bytes]:
        """The answer's status and body. A kept-alive connection the server closed while it
        was idle (uvicorn's keep-alive timeout) is replaced and the request sent again, as
        HTTP clients do; counted in `reopened`."""
        data = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        head += f"Content-Length: {len(data)}\r\n\r\n"
        message = head.encode() + data
        fresh = self.streams is None
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection("127.0.0.1", self.port)
            reader, writer = self.streams
            writer.write(message)
            status_line = await reader.readline()
            if not status_line and not fresh:
                self.close()
                self.reopened += 1
                self.streams = await asyncio.open_connection("127.0.0.1", self.port)
                reader, writer = self.streams
                writer.write(message)
                status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("the server closed the connection without an answer")
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            return int(status_line.split(b" ", 2)[1]), answer
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def _stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


Operation = Callable[[Mode, random.Random], tuple[str, str, str, Body | None]]


def _operations() -> list[tuple[float, Operation]]:
    """(weight, operation): an operation picks a request (kind, method, path, body)."""

    def customers(mode: Mode, rng: random.Random) -> tuple[str, str, str, Body | None]:
        return "read", "GET", "/v1/customers?limit=20", None

    def customer(mode: Mode, rng: random.Random) -> tuple[str, str, str, Body | None]:
        return "read", "GET", f"/v1/customers/{rng.choice(mode.customers)}", None

    def subscriptions(mode: Mode, rng: random.Random) -> tuple[str, str, str, Body | None]:
        return "read", "GET", "/v1/subscriptions?limit=10", None

    def invoices(mode: Mode, rng: random.Random) -> tuple[str, str, str, Body | None]:
        return "read", "GET", "/v1/invoices?limit=10", None

    def entitlements(mode: Mode, rng: random.Random) -> tuple[str, str, str, Body | None]:
        path = f"/v1/customers/{rng.choice(mode.customers)}/entitlements"
        return "read", "GET", path, None

    def new_customer(mode: Mode, rng: random.Random) -> tuple[str, str, str, Body | None]:
        return "write", "POST", "/v1/customers", {"name": f"New {rng.randrange(10**9)}"}

    def usage(mode: Mode, rng: random.Random) -> tuple[str, str, str, Body | None]:
        who = rng.choice(mode.customers[: len(mode.subscriptions)])
        events = [
            {"transaction_id": secrets.token_hex(8), "customer": who, "code": "api_calls"}
            for _ in range(10)
        ]
        return "write", "POST", "/v1/usage_events", {"events": events}

    def change(mode: Mode, rng: random.Random) -> tuple[str, str, str, Body | None]:
        # Live mode only, and not one changed in the last few seconds: on the test clock
        # (frozen while it is not advanced) or within one second, two changes prorate the
        # same instant twice, a 409 by design, not what this measures.
        if mode.on_clock:
            return rename(mode, rng)
        now = time.monotonic()
        sub = rng.choice(mode.subscriptions)
        for _ in range(10):
            if now - mode.changed.get(sub, -60.0) > 5:
                break
            sub = rng.choice(mode.subscriptions)
        mode.changed[sub] = now
        path = f"/v1/subscriptions/{sub}/change"
        return "write", "POST", path, {"quantity": str(rng.randint(1, 5)), "effective": "now"}

    def rename(mode: Mode, rng: random.Random) -> tuple[str, str, str, Body | None]:
        path = f"/v1/customers/{rng.choice(mode.customers)}"
        return "write", "PATCH", path, {"metadata": {"seen": str(rng.randrange(10**6))}}

    reads: list[Operation] = [customers, customer, subscriptions, invoices, entitlements]
    writes: list[Operation] = [new_customer, usage, change, rename]
    return [(READ_SHARE / len(reads), op) for op in reads] + [
        ((1 - READ_SHARE) / len(writes), op) for op in writes
    ]


async def client(
    port: int, modes: list[Mode], until: float, think: float, timeout: float, results: Results
) -> None:
    rng = random.Random()  # noqa: S311 - a load mix, not a secret
    operations = _operations()
    weights = [w for w, _ in operations]
    connection = Connection(port)
    await asyncio.sleep(rng.uniform(0, 2 * think))
    while time.monotonic() < until:
        mode = rng.choice(modes)
        [operation] = rng.choices([op for _, op in operations], weights)
        kind, method, path, body = operation(mode, rng)
        started = time.monotonic()
        try:
            status, answer = await asyncio.wait_for(
                connection.request(method, path, mode.token, body), timeout
            )
        except TimeoutError:
            results.errors["timeout"] += 1
            connection.close()
            continue
        except (OSError, asyncio.IncompleteReadError) as error:
            results.errors[type(error).__name__] += 1
            connection.close()
            await asyncio.sleep(0.1)
            continue
        results.latencies[kind].append(time.monotonic() - started)
        if status >= 400:
            results.errors[str(status)] += 1
            results.samples.setdefault(str(status), f"{method} {path}: {answer[:300]!r}")
        elif method == "POST" and path == "/v1/customers":
            mode.customers.append(json.loads(answer)["id"])
        await asyncio.sleep(rng.uniform(0, 2 * think))
    connection.close()
    results.reopened += connection.reopened


async def advance_clock(
    port: int, token: str, clock: str, start: datetime, step: timedelta, results: Results
) -> None:
    """Two years, `step` at a time, each request waited for however long it takes."""
    connection = Connection(port)
    end = start + timedelta(days=730)
    at = start
    while at < end:
        at = min(at + step, end)
        started = time.monotonic()
        try:
            status, answer = await connection.request(
                "POST", f"/v1/test_clocks/{clock}/advance", token, {"frozen_time": _stamp(at)}
            )
        except (OSError, asyncio.IncompleteReadError) as error:
            results.errors[f"clock {type(error).__name__}"] += 1
            break
        results.clock_steps.append((status, time.monotonic() - started))
        if status != 200:
            results.samples.setdefault(f"clock {status}", answer[:300].decode(errors="replace"))
            break
        results.clock_reached = _stamp(at)
    connection.close()


async def load(
    port: int,
    modes: list[Mode],
    args: argparse.Namespace,
    clock: tuple[str, str, datetime] | None,
) -> tuple[Results, float]:
    results = Results()
    started = time.monotonic()
    until = started + args.seconds
    advancing = None
    if clock is not None:
        token, clock_id, start = clock
        step = timedelta(days=args.clock_step_days)
        advancing = asyncio.create_task(advance_clock(port, token, clock_id, start, step, results))
    clients = [
        client(port, modes, until, args.think, args.timeout, results) for _ in range(args.clients)
    ]
    await asyncio.gather(*clients)
    seconds = time.monotonic() - started
    if advancing is not None and not advancing.done():
        # Reported as far as it got by the end of the load.
        advancing.cancel()
        results.clock_unfinished = True
    return results, seconds


# -- the report -------------------------------------------------------------------------------


def _quantile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 1000) - 1]


def report(results: Results, seconds: float, load_avg: tuple[float, float, float]) -> None:
    every = [x for values in results.latencies.values() for x in values]
    print(f"answered {len(every)} requests in {seconds:.1f} s: {len(every) / seconds:.0f}/s")
    for kind, values in [*sorted(results.latencies.items()), ("all", every)]:
        if values:
            print(
                f"  {kind:5}: {len(values):6} requests,"
                f" p50 {_quantile(values, 0.5) * 1000:6.0f} ms,"
                f" p99 {_quantile(values, 0.99) * 1000:6.0f} ms, max {max(values) * 1000:6.0f} ms"
            )
    errors = sum(results.errors.values())
    detail = ", ".join(f"{name}: {n}" for name, n in sorted(results.errors.items()))
    print(f"errors: {errors}" + (f" ({detail})" if detail else ""))
    if results.reopened:
        print(f"  ({results.reopened} requests resent on a new connection: idle one closed)")
    for status, sample in sorted(results.samples.items()):
        print(f"  e.g. {status}: {sample}")
    if results.clock_steps or results.clock_unfinished:
        durations = [d for _, d in results.clock_steps] or [0.0]
        print(
            f"test clock: {len(results.clock_steps)} advances to {results.clock_reached or '-'},"
            f" longest {max(durations):.1f} s, total {sum(durations):.1f} s"
            + (", one still running when the load ended" if results.clock_unfinished else "")
        )
    print(
        f"load average during the run: {load_avg[0]:.1f} (1 min), machine cores: {os.cpu_count()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="postgresql+psycopg://…/NAME (default: SQLite)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between requests")
    parser.add_argument("--timeout", type=float, default=30, help="a request's time limit")
    parser.add_argument("--subscriptions", type=int, default=250, help="per mode")
    parser.add_argument("--no-clock", dest="clock", action="store_false")
    parser.add_argument("--clock-step-days", type=int, default=730)
    parser.add_argument(
        "--server-log", type=Path, default=Path(tempfile.gettempdir()) / "recura-load-server.log"
    )
    args = parser.parse_args()
    secret = secrets.token_urlsafe(48)
    clock_start = datetime.now(UTC).replace(microsecond=0)
    with fresh_database(args.database_url) as url:
        keys = account(url, secret)
        with server(url, secret, args.server_log) as (base, port):
            began = time.monotonic()
            test, live, clock_id = seed(base, keys, args.subscriptions, clock_start)
            print(
                f"seeded {2 * args.subscriptions} subscriptions in {time.monotonic() - began:.0f} s"
            )
            clock = (keys.test, clock_id, clock_start) if args.clock else None
            backend = make_url(url).get_backend_name()
            what = ", the test clock advancing two years" if clock else ", no test clock"
            print(f"{args.clients} clients for {args.seconds:.0f} s on {backend}{what}")
            results, seconds = asyncio.run(load(port, [test, live], args, clock))
            report(results, seconds, os.getloadavg())
    logged = args.server_log.read_text(errors="replace")
    print(f"server log {args.server_log}: {logged.count('Traceback')} tracebacks")


if __name__ == "__main__":
    main()
