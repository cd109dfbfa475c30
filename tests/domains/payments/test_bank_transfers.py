"""Sent invoices paid by bank transfer: the reference they carry, a camt.053 statement
imported through the API, partial and over-payments, transfers matched by hand, and the
same statement imported twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import BalanceEntry, BankTransaction, Event
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.payments import bank
from tests.conftest import Api, Merchant
from tests.fakes.camt053 import IBAN, Ntry, Tx, credit, debit, statement
from tests.scenarios.world import World

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
XML = {"Content-Type": "application/xml"}


def sent_invoice(
    api: Api, world: World | None = None, minutes: int = 1
) -> tuple[World, dict[str, Any]]:
    if world is None:
        world = World(api, START, timezone="UTC", iban=IBAN)
    sub = world.subscribe(
        world.customer(card=None), world.plan(5000), collection_method="send_invoice"
    )
    world.advance_to(START + timedelta(minutes=minutes))
    (invoice,) = world.invoices(sub["id"])
    return world, invoice


def upload(api: Api, data: bytes, status: int = 201) -> Any:
    return api.ok("POST", "/v1/bank_statements", status, content=data, headers=XML)


def transactions(api: Api, **params: str) -> list[dict[str, Any]]:
    return api.ok("GET", "/v1/bank_transactions", params=params)["data"]


def test_a_sent_invoice_carries_a_reference_and_is_never_charged(api: Api) -> None:
    world, invoice = sent_invoice(api)
    assert invoice["payment_reference"].startswith("RF")
    assert (invoice["status"], invoice["next_payment_attempt"]) == ("open", None)
    world.advance_to(START + timedelta(days=10))
    assert api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"] == []
    assert api.ok("GET", "/v1/account")["iban"] == IBAN


def test_a_statement_pays_the_invoice_it_quotes_once_however_often_it_is_imported(
    api: Api,
) -> None:
    _, invoice = sent_invoice(api)
    ref = invoice["payment_reference"]
    spaced = " ".join(ref[i : i + 4] for i in range(0, len(ref), 4)).lower()
    data = statement(
        credit("60.50", f"Plata factura {spaced}", acct_svcr_ref="BANK-1"),
        debit("12.00", "Comision", acct_svcr_ref="BANK-2"),
    )
    (imported,) = upload(api, data)["data"]
    assert (imported["entry_count"], imported["matched_count"]) == (2, 1)
    paid = api.ok("GET", f"/v1/invoices/{invoice['id']}")
    assert (paid["status"], paid["amount_paid"]["amount"]) == ("paid", 6050)
    (payment,) = api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]
    assert (payment["gateway"], payment["status"], payment["reference"]) == (
        "bank_transfer",
        "succeeded",
        "BANK-1 CRDT 60.50 RON",
    )
    (again,) = upload(api, data)["data"]
    assert again["id"] == imported["id"]
    assert len(transactions(api)) == 2
    assert len(api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]) == 1
    assert {t["status"] for t in transactions(api)} == {"matched", "ignored"}
    refund = api.post("/v1/refunds", json={"payment": payment["id"]})
    assert refund.status_code == 409
    assert "bank transfer" in refund.json()["detail"]


def test_partial_then_over_payment_credits_the_balance(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    _, invoice = sent_invoice(api)
    ref = invoice["payment_reference"]
    upload(api, statement(credit("20.00", ref, acct_svcr_ref="B-1"), statement_id="S-1"))
    part = api.ok("GET", f"/v1/invoices/{invoice['id']}")
    assert (part["status"], part["amount_paid"]["amount"]) == ("open", 2000)
    upload(api, statement(credit("50.00", ref, acct_svcr_ref="B-2"), statement_id="S-2"))
    paid = api.ok("GET", f"/v1/invoices/{invoice['id']}")
    assert (paid["status"], paid["amount_paid"]["amount"]) == ("paid", 6050)
    newest = transactions(api)[0]
    assert (newest["status"], newest["to_balance"]["amount"]) == ("overpaid", 950)
    with session_factory() as session:
        balance = session.scalar(
            select(func.sum(BalanceEntry.amount)).where(
                BalanceEntry.customer_id == invoice["customer"]
            )
        )
    assert balance == 950


def test_an_unmatched_transfer_is_listed_then_matched_by_hand(api: Api) -> None:
    _, invoice = sent_invoice(api)
    upload(api, statement(credit("60.50", "pentru luna martie", acct_svcr_ref="B-9")))
    (waiting,) = transactions(api, status="unmatched")
    assert waiting["reason"] == "no_reference"
    matched = api.ok(
        "POST", f"/v1/bank_transactions/{waiting['id']}/match", json={"invoice": invoice["id"]}
    )
    assert matched["status"] == "matched"
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    again = api.post(
        f"/v1/bank_transactions/{waiting['id']}/match", json={"invoice": invoice["id"]}
    )
    assert again.status_code == 409


def test_one_transfer_for_two_invoices(api: Api) -> None:
    world, first = sent_invoice(api)
    _, second = sent_invoice(api, world, minutes=2)
    refs = [first["payment_reference"], second["payment_reference"]]
    batch = Ntry("121.00", txs=(Tx(ustrd=(" ".join(refs),)),), acct_svcr_ref="B-7")
    upload(api, statement(batch))
    for invoice in (first, second):
        assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"


def test_a_file_that_is_not_a_statement_is_a_readable_422(api: Api) -> None:
    response = api.post("/v1/bank_statements", content=b"<html/>", headers=XML)
    assert response.status_code == 422
    assert "not a camt.053 statement" in response.json()["detail"]
    inexact = statement(credit("1.00", "x"), credit("8.855", "y", currency="EUR"))
    response = api.post("/v1/bank_statements", content=inexact, headers=XML)
    assert response.status_code == 422
    assert "entry 2: amount 8.855 EUR is not exact in EUR" in response.json()["detail"]
    assert transactions(api) == []


class _Cut(Exception):
    """The import stops here, as a crash would."""


def test_a_long_statement_commits_as_it_goes_and_a_cut_import_goes_on_where_it_stopped(
    merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    count = 2 * bank.CHUNK + 5
    data = statement(
        *[credit("10.00", f"transfer {n}", acct_svcr_ref=f"CUT-{n}") for n in range(count)],
        statement_id="STMT-CUT",
    )

    def stored() -> tuple[int, int]:
        with unit_of_work(session_factory) as session:
            rows = session.scalar(
                select(func.count())
                .select_from(BankTransaction)
                .where(BankTransaction.account_id == tenant.account_id)
            )
            imported = session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.account_id == tenant.account_id)
                .where(Event.type == "bank_statement.imported")
            )
            return rows or 0, imported or 0

    checkpoints = 0
    session = session_factory()

    def cut_at_the_second() -> None:
        nonlocal checkpoints
        checkpoints += 1
        if checkpoints == 2:
            raise _Cut
        session.commit()

    with pytest.raises(_Cut):
        bank.import_statements(session, tenant, data, START, cut_at_the_second)
    session.rollback()
    session.close()
    assert stored() == (bank.CHUNK, 0)  # the first chunk was committed, no event yet

    with unit_of_work(session_factory) as session:
        done = bank.import_statements(session, tenant, data, START, session.commit)
    assert stored() == (count, 1)
    (row,) = done.statements
    assert row.entry_count == count
    with unit_of_work(session_factory) as session:
        bank.import_statements(session, tenant, data, START, session.commit)
    assert stored() == (count, 1)  # imported before: nothing changes
