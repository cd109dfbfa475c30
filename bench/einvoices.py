"""e-invoices: UBL generation and offline validation (UBL 2.1 schema, EN 16931, CIUS-RO),
per invoice and for a run of N invoices, against floors measured in the same run.

    .venv/bin/python bench/einvoices.py [--invoices 1000] [--rules ../shared/reference]

Seeds a fresh SQLite database (a temporary directory) with a Romanian account and its
legal profile, customers of every kind (a Bucharest company, a county individual, an EU
company under reverse charge, a company outside the EU) and N invoices issued by the
invoicing service (two VAT rates, 21 % and 11 %, and a discount on every other one). Then:

- generation: building each invoice's UBL document from its stored rows (read beforehand),
  against the floor of parsing and serialising the same bytes with lxml;
- validation: schema plus both rule sets, against the schema alone;
- the worker's handler end to end (reading the event log, building, validating, storing),
  per document and for the whole run, against generation plus validation.

Times are wall-clock seconds on this process; the machine's load average is printed, as
other work on a shared machine shows in them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.core.invoicing import DiscountInput, InvoiceInput, LineInput
from recura.core.tax import RateKind
from recura.db.engine import make_engine, make_session_factory
from recura.db.migrate import upgrade
from recura.db.models import Account, Customer, Invoice
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import service as accounts
from recura.domains.accounts.schemas import AccountCreate
from recura.domains.common.tenant import Tenant
from recura.domains.customers import service as customers
from recura.domains.customers.schemas import CustomerCreate
from recura.domains.einvoices import service, ubl, validation
from recura.domains.invoices import issuing, taxes
from recura.domains.invoices import repository as invoices

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
BUCHAREST = {"line1": "Bd. Unirii 15", "city": "București", "postal_code": "030823"}
BUCHAREST |= {"county": "RO-B", "sector": 3, "country": "RO"}
CLUJ = {"line1": "Str. Memorandumului 28", "city": "Cluj-Napoca", "postal_code": "400114"}
CLUJ |= {"county": "RO-CJ", "country": "RO"}
BUYERS = [
    {
        "name": "Norditech",
        "kind": "company",
        "legal_name": "Norditech Software SRL",
        "vat_id": "RO14399840",
        "registration_number": "J40/12345/2020",
        "country": "RO",
        "address": BUCHAREST,
    },
    {"name": "Ana Popescu", "country": "RO", "address": CLUJ},
    {
        "name": "Weber",
        "kind": "company",
        "legal_name": "Weber GmbH",
        "vat_id": "DE136695976",
        "country": "DE",
        "address": {"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"},
    },
    {
        "name": "Acme",
        "kind": "company",
        "legal_name": "Acme Inc.",
        "country": "US",
        "address": {"line1": "1 Main St", "city": "Boston", "country": "US"},
    },
]


def seed(factory: sessionmaker[Session], count: int) -> Tenant:
    with unit_of_work(factory) as session:
        created = AccountCreate(
            legal_name="Bench SRL",
            country="RO",
            default_currency="RON",
            timezone="Europe/Bucharest",
            invoice_series_prefix="BEN",
        )
        account = accounts.create_account(session, created, NOW)
        account.vat_registered = True
        account.vat_id = "RO18547290"
        account.registration_number = "J12/3456/2019"
        account.address = CLUJ
        account.iban = "RO49AAAA1B31007593840000"
        tenant = Tenant(account.id, True)
        ids = []
        for details in BUYERS:
            customer = customers.create(session, tenant, CustomerCreate(**details), NOW)
            customer.vat_id_validated_at = NOW  # VIES confirmed the EU company
            ids.append(customer.id)
        session.flush()
        issues = []
        for n in range(count):
            customer = session.get_one(Customer, (account.id, ids[n % len(ids)]))
            standard = taxes.decision(account, customer, NOW.date())
            reduced = taxes.decision(account, customer, NOW.date(), RateKind.REDUCED)
            lines = (
                LineInput("Abonament CRM", 4900 + n % 97, tax_rate=standard.rate, tax=standard),
                LineInput("Curs online", 1990, tax_rate=reduced.rate, tax=reduced),
            )
            off = (DiscountInput("PROMO10", percent_off=Decimal(10)),) if n % 2 else ()
            inputs = InvoiceInput("RON", lines, discounts=off)
            issues.append(
                issuing.Issue(
                    tenant, account, customer.id, None, "manual", inputs, None, None, "send_invoice"
                )
            )
        for start in range(0, count, 500):
            issuing.issue_many(session, issues[start : start + 500], NOW)
    return tenant


def documents(factory: sessionmaker[Session], tenant: Tenant) -> list[ubl.Document]:
    with unit_of_work(factory) as session:
        account = session.get_one(Account, tenant.account_id)
        found = session.scalars(select(Invoice).where(Invoice.account_id == tenant.account_id))
        rows = list(found)
        lines = invoices.lines_by_invoice(session, [(r.account_id, r.id) for r in rows])
        people = {c.id: c for c in session.scalars(select(Customer))}
        return [
            ubl.invoice_document(account, people[r.customer_id], r, lines[(r.account_id, r.id)])
            for r in rows
        ]


def timed(label: str, items: list[object], fn: object, floor: object) -> tuple[float, float]:
    spent, base = [], []
    for item in items:
        started = time.perf_counter()
        fn(item)  # type: ignore[operator]
        spent.append(time.perf_counter() - started)
        started = time.perf_counter()
        floor(item)  # type: ignore[operator]
        base.append(time.perf_counter() - started)
    total, floor_total = sum(spent), sum(base)
    print(
        f"{label}: {len(items)} in {total:.2f} s, {statistics.median(spent) * 1e3:.2f} ms median"
        f" per invoice (p99 {sorted(spent)[int(len(spent) * 0.99) - 1] * 1e3:.2f} ms);"
        f" floor {floor_total:.2f} s, {total / floor_total:.1f}x the floor"
    )
    return total, floor_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--rules", type=Path, default=REFERENCE)
    args = parser.parse_args()
    if validation.rules_directory() is None and not (args.rules / "en16931").is_dir():
        sys.exit(f"no rules at {args.rules}")
    os.environ[validation.ENV] = str(args.rules)
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        tenant = seed(factory, args.invoices)
        print(f"seeded {args.invoices} invoices in {time.perf_counter() - started:.1f} s")
        docs = documents(factory, tenant)
        xmls = [ubl.build(d) for d in docs]
        started = time.perf_counter()
        validation.validate(xmls[0], args.rules)
        print(f"compiling the rule sets (once per process): {time.perf_counter() - started:.1f} s")
        build, _ = timed(
            "generation",
            list(range(len(docs))),
            lambda i: ubl.build(docs[i]),
            lambda i: etree.tostring(etree.fromstring(xmls[i])),
        )
        schemas = validation._compiled(args.rules).schemas  # the floor: the schema alone

        def schema_only(xml: bytes) -> bool:
            tree = etree.fromstring(xml)
            return bool(schemas[etree.QName(tree).localname].validate(tree))

        checked, _ = timed(
            "validation", list(xmls), lambda x: validation.validate(x, args.rules), schema_only
        )
        fatal = sum(validation.is_fatal(validation.validate(x, args.rules)) for x in xmls[:20])
        print(f"fatal findings in the first 20 documents: {fatal}")
        started = time.perf_counter()
        made = 0
        while True:
            count = service.make_from_events(lambda: unit_of_work(factory), NOW)
            made += count
            if made % 1000 < count:
                # A long run can be stopped and still say how fast its documents went.
                spent = time.perf_counter() - started
                print(f"  worker handler so far: {made} in {spent:.1f} s", flush=True)
            if count < service.SQLITE_BATCH:
                break
        handler = time.perf_counter() - started
        print(
            f"worker handler: {made} e-invoices in {handler:.1f} s, {made / handler:.1f}/s,"
            f" {handler / made * 1e3:.1f} ms each; {handler / (build + checked):.2f}x"
            " generation plus validation"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
