"""The subscriber pages under load: with 100,000 customers on PostgreSQL, the pricing page,
the checkout page and the portal overview, each at a steady 50 requests/s, next to /healthz
in the same run; then checkout confirms (a sandbox card) one after another from 4 clients.

Seeds a copy-written account (`tests.factories.seed_due_subscriptions`: customers with a
monthly subscription each) and opens portal sessions for a few hundred of them, then runs
`recura serve` (no worker) and sends each page 50 requests a second, open loop (a request
leaves on schedule whether or not the last one was answered), from several keep-alive
clients. Latency is measured at the client on loopback: the server's time plus a little.
Reports p50 / p99 / max per page and each page's p99 against /healthz's. A confirm is timed
from its POST to the answer (the details and payment pages before it are not); the sandbox
processor answers in-process, so its time is within.

    .venv/bin/python bench/public_pages.py                   # 100,000 customers, 20 s a page
    .venv/bin/python bench/public_pages.py --customers 5000 --seconds 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import lxml.html
from common import database, free_port

from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import repository as accounts
from recura.domains.checkout import service as checkout
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.plans import repository as plans
from recura.domains.portal_sessions import service as portal_sessions

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.factories import seed_due_subscriptions  # noqa: E402 (after the path)

SLUG = "bench"
DETAILS = {
    "email": "ana.popescu@example.ro",
    "name": "Ana Popescu",
    "kind": "individual",
    "line1": "Str. Memorandumului 28",
    "city": "Cluj-Napoca",
    "country": "RO",
    "county": "RO-CJ",
}
SECRET = "bench-secret-key-bench-secret-key-bench-secret"  # noqa: S105 (a throw-away server)
CLIENTS = 16


@dataclass
class Result:
    name: str
    latencies: list[float]
    errors: int
    late: int

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def seed(url: str, count: int, sessions: int, checkouts: int) -> tuple[list[str], list[str]]:
    """The account with `count` customers, its slug set; cookies of `sessions` of them, and
    `checkouts` open checkout sessions of its plan."""
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    account_id = seed_due_subscriptions(
        factory, count, (now - timedelta(days=10), now + timedelta(days=20)), metered=False
    )
    cookies = []
    with unit_of_work(factory) as session:
        account = accounts.account_by_key(session, account_id)
        account.slug = SLUG
        tenant = Tenant(account_id, False)
        for customer in customers.page(session, tenant, limit=sessions, starting_after=None).items:
            row = portal_sessions.create_for_customer(session, tenant, customer, None, None, now)
            opened = portal_sessions.use_link(session, account_id, row.id, now)
            assert opened is not None
            cookies.append(opened.cookie)
        (plan,) = plans.active(session, tenant)
        opened_checkouts = [
            checkout.open_for_plan(session, tenant, plan.id, now, locale="ro").id
            for _ in range(checkouts)
        ]
    engine.dispose()
    return cookies, opened_checkouts


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RECURA_DATABASE_URL": url,
        "RECURA_SECRET_KEY": SECRET,
        "RECURA_PORT": str(port),
        "RECURA_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(  # noqa: S603 (our own command)
        [str(ROOT / ".venv/bin/recura"), "serve", "--no-worker"], env=env
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


Request = Callable[[httpx.Client, int], httpx.Response]


def load(name: str, base: str, rate: float, seconds: float, request: Request) -> Result:
    """`rate` requests a second for `seconds`, each on schedule, from keep-alive clients."""
    clients = [httpx.Client(base_url=base, timeout=30) for _ in range(CLIENTS)]
    latencies: list[float] = []
    errors = late = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def one(n: int) -> None:
        nonlocal errors, late
        due = start + n / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        sent = time.perf_counter()
        try:
            response = request(clients[n % CLIENTS], n)
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        took = time.perf_counter() - sent
        with lock:
            latencies.append(took)
            errors += not ok
            late += sent - due > 0.05

    total = int(rate * seconds)
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(one, range(total)))
    for client in clients:
        client.close()
    return Result(name, latencies, errors, late)


def form(html: str, form_id: str) -> dict[str, str]:
    """The fields a browser would send from the page's form, radio buttons as checked."""
    (found,) = lxml.html.fromstring(html).xpath(f'//form[@id="{form_id}"]')
    fields = {}
    for field in found.xpath(".//input"):
        if field.get("type") in ("radio", "checkbox") and field.get("checked") is None:
            continue
        fields[field.get("name")] = field.get("value") or ""
    return fields


def confirms(base: str, checkouts: list[str], clients: int = 4) -> Result:
    """Each checkout filled in and confirmed with a sandbox card; only the confirm timed."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(client: httpx.Client, checkout_id: str) -> None:
        nonlocal errors
        details = client.get(f"/checkout/{checkout_id}")
        sent = client.post(
            f"/checkout/{checkout_id}", data=form(details.text, "details-form") | DETAILS
        )
        pay = client.get(f"/checkout/{checkout_id}/pay")
        fields = form(pay.text, "pay-form") | {"terms": "yes"}
        started = time.perf_counter()
        done = client.post(f"/checkout/{checkout_id}/pay", data=fields)
        took = time.perf_counter() - started
        with lock:
            latencies.append(took)
            errors += not (sent.status_code == 303 and done.status_code == 303)

    def worker(share: list[str]) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for checkout_id in share:
                one(client, checkout_id)

    threads = [
        threading.Thread(target=worker, args=(checkouts[i::clients],)) for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result("checkout confirm", latencies, errors, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--confirms", type=int, default=200)
    args = parser.parse_args()
    with database("public_pages") as plain:
        url = plain.replace("postgresql://", "postgresql+psycopg://")
        started = time.perf_counter()
        viewed = 50
        cookies, checkouts = seed(url, args.customers, args.sessions, viewed + args.confirms)
        print(f"seeded {args.customers:,} customers in {time.perf_counter() - started:.1f} s")
        port = free_port()
        server = serve(url, port)
        base = f"http://127.0.0.1:{port}"
        pages: dict[str, Request] = {
            "/healthz": lambda c, n: c.get("/healthz"),
            "pricing page": lambda c, n: c.get(f"/p/{SLUG}/test"),
            "checkout page": lambda c, n: c.get(f"/checkout/{checkouts[n % viewed]}"),
            "portal overview": lambda c, n: c.get(
                "/portal", cookies={"recura_portal": cookies[n % len(cookies)]}
            ),
        }
        try:
            for page in pages.values():  # warm up: the first requests compile and cache
                for n in range(20):
                    with httpx.Client(base_url=base) as client:
                        page(client, n)
            results = [
                load(name, base, args.rate, args.seconds, page) for name, page in pages.items()
            ]
            results.append(confirms(base, checkouts[viewed:]))
        finally:
            server.terminate()
            server.wait(10)
    baseline = results[0].quantile(0.99)
    print(f"{args.rate:.0f} requests/s for {args.seconds:.0f} s each, {CLIENTS} keep-alive clients")
    header = ("page", "p50", "p99", "max", "p99/healthz", "errors", "late")
    print("{:<18} {:>8} {:>8} {:>8} {:>12} {:>7} {:>5}".format(*header))
    for r in results:
        print(
            f"{r.name:<18} {r.quantile(0.5) * 1000:>6.1f}ms {r.quantile(0.99) * 1000:>6.1f}ms"
            f" {max(r.latencies) * 1000:>6.1f}ms {r.quantile(0.99) / baseline:>11.1f}x"
            f" {r.errors:>7} {r.late:>5}"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"median of medians: {statistics.median(r.quantile(0.5) for r in results) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
