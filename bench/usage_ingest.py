"""Usage-event ingestion over HTTP on PostgreSQL, against plain COPY of the same rows.

    .venv/bin/python bench/usage_ingest.py [--batches 300] [--connections 4] [--workers 2]

Creates its own database on the server of RECURA_BENCH_PG_ADMIN (default: the test
server's `test` database), migrates it, makes an account, an API key and customers. The
baseline COPYs the rows the HTTP run will store (one COPY and commit per batch) through
psycopg, on one connection and on as many as the load generator uses; the table is emptied
after each. Then it starts the real app under uvicorn on a loopback port and posts the
batches of 1,000 events (1% duplicates: half already stored, half repeated inside the
batch), bodies encoded beforehand, from a few concurrent keep-alive connections. It prints
events/s, the ratio to the baseline, and where the CPU went (Linux /proc; the load
generator's own from its process time). The database is
dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from common import bench_account, database, free_port

from recura.db.engine import make_engine, make_session_factory
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service as customers
from recura.domains.customers.schemas import CustomerCreate
from recura.ids import new_ids

ROOT = Path(__file__).resolve().parents[1]
BATCH, REPEATS, CUSTOMERS = 1000, 5, 200
COLUMNS = "account_id, livemode, id, created_at, customer_id, code, transaction_id, timestamp, "
COLUMNS += "properties"
Event = dict[str, Any]


def setup(url: str, secret: str) -> tuple[str, str, list[str]]:
    """A migrated database with an account; its id, a test API key and the customer ids."""
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    now = datetime.now(UTC)
    with unit_of_work(make_session_factory(engine)) as session:
        account_id, token = bench_account(engine, session, secret, now)
        tenant = Tenant(account_id, livemode=False)
        ids = [
            customers.create(session, tenant, CustomerCreate(name=f"Bench {i}"), now).id
            for i in range(CUSTOMERS)
        ]
    engine.dispose()
    return account_id, token, ids


def plan(customer_ids: list[str], batches: int, prefix: str) -> list[tuple[list[Event], int]]:
    """Batches of BATCH events, each with how many of them are new: every batch repeats
    REPEATS events of the one before (REPEATS of its own in the first) and REPEATS of its own."""
    now = datetime.now(UTC)
    result: list[tuple[list[Event], int]] = []
    for number in range(batches):
        fresh = [
            {
                "transaction_id": f"{prefix}{number}-{i:04d}",
                "customer": customer_ids[(number * BATCH + i) % CUSTOMERS],
                "code": "api_calls" if i % 3 else "storage_gb",
                "timestamp": (now - timedelta(seconds=i % 3600)).isoformat(),
                "properties": {"gb": (i % 500) / 4, "region": ("eu-central-1", "eu-west-1")[i % 2]},
            }
            for i in range(BATCH - 2 * REPEATS)
        ]
        earlier = result[-1][0] if result else fresh[REPEATS:]
        result.append((fresh + earlier[:REPEATS] + fresh[:REPEATS], len(fresh)))
    return result


def in_threads(connections: int, work: Callable[[], None]) -> float:
    threads = [threading.Thread(target=work) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def processes() -> Iterator[tuple[int, int, float, str]]:
    """(pid, parent pid, CPU seconds used, command line) of every process (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        yield int(entry.name), int(stat[1]), (int(stat[11]) + int(stat[12])) / tick, command


def cpu_seconds(server_pid: int, database_name: str) -> tuple[float, float]:
    """CPU time used so far by the server's process tree, and by the PostgreSQL backends
    connected to the bench database."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    backends = 0.0
    for pid, parent, seconds, command in processes():
        parents[pid], used[pid] = parent, seconds
        if command.startswith("postgres") and f" {database_name} " in command:
            backends += seconds
    tree = {server_pid}
    for _ in range(3):  # uvicorn, its workers, their children
        tree |= {pid for pid, parent in parents.items() if parent in tree}
    return sum(used.get(pid, 0.0) for pid in tree), backends


def copy_rows(
    url: str, account_id: str, batches: list[list[Event]], connections: int
) -> tuple[str, float]:
    """COPY the batches (one COPY and commit each) over `connections` connections at once,
    then empty the table; return a line with rows/s and PostgreSQL's CPU per batch."""
    created = datetime.now(UTC)
    rows = [
        [
            (
                account_id,
                False,
                event_id,
                created,
                e["customer"],
                e["code"],
                e["transaction_id"],
                e["timestamp"],
                json.dumps(e["properties"]),
            )
            for event_id, e in zip(new_ids("usage_event", len(batch)), batch, strict=True)
        ]
        for batch in batches
    ]
    queue, lock, backend_seconds = iter(rows), threading.Lock(), []

    def work() -> None:
        with psycopg.connect(url) as conn:
            before = next(s for p, _, s, _ in processes() if p == conn.info.backend_pid)
            while True:
                with lock:
                    batch = next(queue, None)
                if batch is None:
                    break
                statement = f"COPY usage_events ({COLUMNS}) FROM STDIN"
                with conn.cursor() as cursor, cursor.copy(statement) as copy:
                    for row in batch:
                        copy.write_row(row)
                conn.commit()
            after = next(s for p, _, s, _ in processes() if p == conn.info.backend_pid)
            backend_seconds.append(after - before)

    seconds = in_threads(connections, work)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE usage_events")
    count = sum(len(batch) for batch in batches)
    return (
        f"COPY, {connections} connection{'s' if connections > 1 else ''}: "
        f"{count / seconds:,.0f} rows/s (PostgreSQL CPU per batch "
        f"{sum(backend_seconds) * 1000 / len(batches):.1f} ms)"
    ), count / seconds


@contextmanager
def server(url: str, secret: str, workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    # API processes only, as DESIGN.md scales out: the billing worker runs elsewhere.
    env = {**os.environ, "RECURA_DATABASE_URL": url, "RECURA_SECRET_KEY": secret}
    env["RECURA_EMBEDDED_WORKER"] = "false"
    app = "recura.api.app:create_app"
    command = [sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    command += ["--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # imports alone take a while on a busy machine
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _response(stream: socket.socket, pending: bytearray) -> tuple[int, bytes]:
    """One HTTP/1.1 response off a keep-alive connection: status and body (by its length)."""
    while b"\r\n\r\n" not in pending:
        pending += stream.recv(65536) or b""
    head, _, rest = bytes(pending).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
    )
    while len(rest) < length:
        rest += stream.recv(65536) or b""
    pending[:] = rest[length:]
    return int(lines[0].split(" ", 2)[1]), rest[:length]


def post_all(base: str, token: str, bodies: list[bytes], connections: int) -> tuple[float, int]:
    """Post every body from `connections` threads, each on its own keep-alive connection;
    return the seconds taken and the events ingested. Requests are written and read on
    plain sockets: an HTTP client library would take a good part of the two cores
    the server and PostgreSQL share with it."""
    host, port = base.removeprefix("http://").split(":")
    head = f"POST /v1/usage_events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}"
    head += "\r\nContent-Type: application/json\r\nContent-Length: "
    queue, lock = iter(bodies), threading.Lock()
    ingested: list[int] = []
    failures: list[str] = []

    def work() -> None:
        with socket.create_connection((host, int(port))) as stream:
            stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pending = bytearray()
            while True:
                with lock:
                    body = next(queue, None)
                if body is None:
                    return
                stream.sendall(f"{head}{len(body)}\r\n\r\n".encode() + body)
                status, answer = _response(stream, pending)
                if status != 200:
                    failures.append(answer[:500].decode(errors="replace"))
                    return
                ingested.append(json.loads(answer)["ingested"])

    seconds = in_threads(connections, work)
    if failures:
        raise SystemExit(f"a batch failed: {failures[0]}")
    return seconds, sum(ingested)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300, help="batches of 1,000 to post")
    parser.add_argument("--connections", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = parser.parse_args()
    secret = secrets.token_urlsafe(48)
    with database("usage") as url:
        name = url.rsplit("/", 1)[1]
        account_id, token, customer_ids = setup(url, secret)
        warmup = [json.dumps({"events": b}).encode() for b, _ in plan(customer_ids, 20, "w")]
        planned = plan(customer_ids, args.batches, "b")
        bodies = [json.dumps({"events": batch}).encode() for batch, _ in planned]
        stored = [batch[:new] for batch, new in planned]
        baselines = [copy_rows(url, account_id, stored, n) for n in sorted({1, args.connections})]
        with server(url, secret, args.workers) as (base, pid):
            post_all(base, token, warmup, 2)
            server_before, pg_before = cpu_seconds(pid, name)
            client_before = time.process_time()
            seconds, ingested = post_all(base, token, bodies, args.connections)
            client_after = time.process_time()
            server_after, pg_after = cpu_seconds(pid, name)
    new = sum(n for _, n in planned)
    if ingested != new:
        raise SystemExit(f"ingested {ingested} events, expected {new}")
    sent = sum(len(batch) for batch, _ in planned)
    rate = sent / seconds
    per_batch = 1000 / args.batches
    workers = f"{args.workers} uvicorn worker{'s' if args.workers > 1 else ''}"
    print(
        f"HTTP: {sent:,} events in {seconds:.2f} s = {rate:,.0f} events/s, "
        f"{ingested / seconds:,.0f} stored/s ({sent - ingested:,} duplicates dropped; "
        f"{args.connections} connections, "
        f"{workers})"
    )
    print(
        f"  CPU per batch: server {(server_after - server_before) * per_batch:.1f} ms, "
        f"PostgreSQL {(pg_after - pg_before) * per_batch:.1f} ms, "
        f"load generator {(client_after - client_before) * per_batch:.1f} ms"
    )
    for line, copied in baselines:
        print(f"{line}; HTTP stored/s / COPY rows/s = {ingested / seconds / copied:.2f}")


if __name__ == "__main__":
    main()
