"""Invoice PDFs: what one costs to render, and how fast the worker makes them for a billing
run's invoices, against floors measured in the same run.

    .venv/bin/python bench/pdfs.py [--invoices 300] [--workers 1]

1. In this process, no database: the CPU time of rendering one invoice's PDF (the Romanian
   template, a logo, one line), best of 7, against WeasyPrint rendering a one-line page
   (the fixed cost of any PDF): their ratio.
2. On PostgreSQL (a database of its own on RECURA_BENCH_PG_ADMIN's server, dropped after):
   a billing run of `--invoices` due subscriptions; the outbox dispatch of its events
   without the PDF fan-out, then again with it (the cost of queueing the PDFs); then the
   worker's `invoice_pdfs` step in `--workers` processes until every PDF is made, against
   the billing run of the same invoices. Extrapolated to 10,000 invoices at the measured
   rate (the work is per invoice, claimed in batches of 10: it grows linearly).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
import timeit
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import weasyprint
from common import database
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.models import Account, AccountLogo, Customer, Invoice, InvoiceLine
from recura.domains.documents import content, pdf
from recura.jobs.worker import run_until_idle
from recura.notifications import outbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.factories import seed_due_subscriptions

TARGET = 10_000
T0 = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def best(fn: Any, repeat: int = 7) -> float:
    # CPU time: on a shared machine, wall time measures the neighbours too.
    return min(timeit.repeat(fn, number=1, repeat=repeat, timer=time.process_time))


def sample() -> content.Document:
    """A Romanian B2B invoice of one line, as the worker reads it."""
    account = Account(
        id="acct_bench",
        legal_name="Norditech Software SRL",
        country="RO",
        default_currency="RON",
        timezone="Europe/Bucharest",
        vat_id="RO18547290",
        registration_number="J40/12345/2015",
        share_capital=20000,
        share_capital_currency="RON",
        address={
            "line1": "Bd. Unirii 15",
            "city": "București",
            "county": "RO-B",
            "sector": 3,
            "postal_code": "030823",
            "country": "RO",
        },
        iban="RO49AAAA1B31007593840000",
        bic="AAAARO22",
    )
    customer = Customer(
        account_id="acct_bench",
        id="cus_1",
        kind="company",
        legal_name="Client Exemplu SRL",
        name="Ana Popescu",
        vat_id="RO14399840",
        registration_number="J12/3456/2019",
        address={
            "line1": "Str. Memorandumului 28",
            "city": "Cluj-Napoca",
            "county": "RO-CJ",
            "postal_code": "400114",
            "country": "RO",
        },
        locale="ro",
    )
    invoice = Invoice(
        account_id="acct_bench",
        id="inv_1",
        customer_id="cus_1",
        status="open",
        currency="RON",
        series="NDT",
        number="NDT-000001",
        period_start=T0,
        period_end=T0 + timedelta(days=31),
        tax_inclusive=False,
        subtotal=4900,
        discount_total=0,
        tax_total=1029,
        total=5929,
        credit_applied=0,
        amount_due=5929,
        amount_paid=0,
        tax_lines=[{"rate": "21", "net": 4900, "tax": 1029}],
        discounts=[],
        collection_method="send_invoice",
        due_at=T0 + timedelta(days=14),
        payment_reference="RF18539007547034",
        finalized_at=T0,
        created_at=T0,
    )
    line = InvoiceLine(
        account_id="acct_bench",
        invoice_id="inv_1",
        id="il_1",
        position=0,
        kind="plan",
        description="Pro",
        quantity=Decimal(1),
        unit_amount=Decimal(4900),
        amount=4900,
        discount_amount=0,
        tax_rate=Decimal(21),
        tax_category="S",
        tax_notes=[],
        period_start=T0,
        period_end=T0 + timedelta(days=31),
        proration=False,
    )
    logo = AccountLogo(account_id="acct_bench", content_type="image/png", data=_png())
    return content.of_invoice(account, customer, invoice, [line], logo, "ro")


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (240, 72), "#1f4e99").save(out, format="PNG")
    return out.getvalue()


def per_invoice() -> None:
    document = sample()
    pdf.render(document)  # fonts and styles loaded once per process
    invoice = best(lambda: pdf.render(document))
    minimal = best(lambda: weasyprint.HTML(string="<p>Factură</p>").write_pdf())
    size = len(pdf.render(document))
    print(f"one invoice PDF: {invoice * 1e3:.0f} ms CPU ({size / 1024:.0f} KB)")
    print(f"floor, WeasyPrint's one-line page: {minimal * 1e3:.0f} ms CPU")
    print(f"ratio invoice/floor: {invoice / minimal:.1f}x")
    print(
        f"one process at that rate: {1 / invoice:.1f} PDFs/s; {TARGET:,} in "
        f"{TARGET * invoice / 60:.1f} min of CPU"
    )


def _worker(url: str, now: datetime, ready: Any, go: Any, used: Any) -> None:
    factory = make_session_factory(make_engine(url))
    ready.release()
    go.wait()
    started = time.process_time()
    run_until_idle(factory, FixedClock(now), only={"invoice_pdfs"}, max_passes=100_000)
    used.put(time.process_time() - started)


def _timed(factory: sessionmaker[Session], now: datetime, only: set[str]) -> float:
    started = time.perf_counter()
    run_until_idle(factory, FixedClock(now), only=only, max_passes=100_000)
    return time.perf_counter() - started


def _count(factory: sessionmaker[Session], sql: str) -> int:
    with factory() as session:
        return int(session.scalar(text(sql)) or 0)


def worker_run(count: int, workers: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with database("pdfs") as plain_url:
        url = plain_url.replace("postgresql://", "postgresql+psycopg://")
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        end = now - timedelta(hours=1)
        seed_due_subscriptions(factory, count, (end - timedelta(days=30), end), metered=False)
        with factory.begin() as session:
            # The load tests' seed has its account make no PDFs: these are what is measured.
            session.execute(text("UPDATE accounts SET invoice_pdfs = true"))
        billing = _timed(factory, now, {"billing"})
        # The dispatch as it was, without the PDFs' fan-out; then, its messages removed and
        # its events undispatched, as it is.
        fan_outs = outbox.FAN_OUTS
        outbox.FAN_OUTS = fan_outs[1:]
        without = _timed(factory, now, {"dispatch_events"})
        outbox.FAN_OUTS = fan_outs
        with factory.begin() as session:
            for sql in (
                "DELETE FROM email_messages",
                "DELETE FROM webhook_deliveries",
                "UPDATE events SET dispatched_at = NULL",
            ):
                session.execute(text(sql))
        with_pdfs = _timed(factory, now, {"dispatch_events"})
        engine.dispose()
        context = multiprocessing.get_context("spawn")
        ready, go, used = context.Semaphore(0), context.Event(), context.Queue()
        args = (url, now, ready, go, used)
        procs = [context.Process(target=_worker, args=args) for _ in range(workers)]
        for proc in procs:
            proc.start()
        for _ in procs:
            ready.acquire()
        started = time.perf_counter()
        go.set()
        cpu = sum(used.get() for _ in procs)
        for proc in procs:
            proc.join()
        seconds = time.perf_counter() - started
        engine = make_engine(url)
        factory = make_session_factory(engine)
        made = _count(factory, "SELECT count(*) FROM invoice_pdfs WHERE content IS NOT NULL")
        size = _count(factory, "SELECT coalesce(sum(length(content)), 0) FROM invoice_pdfs")
        engine.dispose()
        if made < count:
            raise SystemExit(f"expected {count} PDFs, {made} made")
        rate = made / seconds
        print(f"billing run of {count:,} renewals, 1 process: {count / billing:,.0f}/s")
        print(
            f"outbox dispatch of their events: {without:.2f} s without the PDF rows, "
            f"{with_pdfs:.2f} s with them ({with_pdfs / without:.2f}x)"
        )
        print(
            f"worker, {workers} process(es): {made:,} PDFs in {seconds:.1f} s, {rate:.1f}/s "
            f"({seconds / made * 1e3:.0f} ms each; {size / made / 1024:.0f} KB each)"
        )
        print(f"workers' CPU: {cpu / made * 1e3:.0f} ms per PDF (wall time includes the load)")
        print(f"ratio PDFs/billing run (time per invoice): {seconds / billing:.1f}x")
        print(
            f"extrapolated: {TARGET:,} PDFs in {TARGET / rate / 60:.1f} min at this wall rate, "
            f"{TARGET * cpu / made / 60:.1f} min of CPU "
            f"({TARGET * size / made / 2**20:.0f} MB stored)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    per_invoice()
    worker_run(args.invoices, args.workers)


if __name__ == "__main__":
    main()
