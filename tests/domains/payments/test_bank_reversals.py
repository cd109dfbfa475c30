"""A returned transfer reopens what it paid: the payment is reversed, the invoice is open
again for what is due, the balance it credited is taken back, and the subscription goes
through the account's dunning from there."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import BalanceEntry
from tests.conftest import Api, Merchant
from tests.domains.payments.test_bank_transfers import START, sent_invoice, transactions, upload
from tests.event_contract import check_recorded
from tests.fakes.camt053 import credit, debit, statement


def paid_by_transfer(api: Api, amount: str = "60.50") -> tuple[Any, dict[str, Any]]:
    world, invoice = sent_invoice(api)
    transfer = credit(amount, invoice["payment_reference"], acct_svcr_ref="IN-1")
    upload(api, statement(transfer, statement_id="S-1"))
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    return world, invoice


def returned(*entries: Any) -> bytes:
    return statement(*entries, statement_id="S-2", message_id="MSG-2")


def balance(session_factory: sessionmaker[Session], customer: str) -> int:
    with session_factory() as session:
        total = session.scalar(
            select(func.coalesce(func.sum(BalanceEntry.amount), 0)).where(
                BalanceEntry.customer_id == customer
            )
        )
    return int(total or 0)


def test_a_reversed_transfer_reopens_the_invoice_and_dunning_follows(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    world, invoice = paid_by_transfer(api)
    sub = invoice["subscription"]
    assert world.subscription(sub)["status"] == "active"
    (payment,) = api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]

    reversal = debit("60.50", invoice["payment_reference"], acct_svcr_ref="R-1", reversal=True)
    (imported,) = upload(api, returned(reversal))["data"]
    assert imported["matched_count"] == 1

    reopened = api.ok("GET", f"/v1/invoices/{invoice['id']}")
    assert (reopened["status"], reopened["amount_paid"]["amount"]) == ("open", 0)
    assert reopened["amount_due"]["amount"] == 6050
    payment = api.ok("GET", f"/v1/payments/{payment['id']}")
    assert payment["status"] == "reversed"
    assert "payment.reversed" in [e["type"] for e in world.events(payment["id"])]
    invoice_events = [e["type"] for e in world.events(invoice["id"])]
    assert invoice_events[-2:] == ["invoice.reopened", "invoice.payment_failed"]
    assert world.subscription(sub)["status"] == "past_due"

    back, original = transactions(api)
    assert (original["status"], back["status"]) == ("reversed", "reversal")
    assert (back["direction"], back["reversal_of"]) == ("debit", original["id"])

    # The same statement again changes nothing.
    upload(api, returned(reversal))
    assert api.ok("GET", f"/v1/payments/{payment['id']}")["status"] == "reversed"
    assert [e["type"] for e in world.events(invoice["id"])].count("invoice.reopened") == 1

    # Never charged: the account's retry days pass, then its final action (cancel).
    world.advance_to(START + timedelta(days=8))
    assert api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"] == [payment]
    assert world.subscription(sub)["status"] == "canceled"

    # What it recorded on the way keeps the webhook contract.
    seen = check_recorded(session_factory, merchant.account_id, api.client.app)  # type: ignore[arg-type]
    expected = {"bank_statement.imported", "payment.reversed", "invoice.reopened"}
    assert expected | {"subscription.past_due"} <= seen


def test_a_returned_overpayment_takes_its_credit_back(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    world, invoice = paid_by_transfer(api, "70.00")
    customer = invoice["customer"]
    assert balance(session_factory, customer) == 950

    # No RvslInd: a plain debit giving the transfer back, quoting its reference.
    refund = debit("70.00", f"Retur {invoice['payment_reference']}", acct_svcr_ref="R-2")
    upload(api, returned(refund))

    reopened = api.ok("GET", f"/v1/invoices/{invoice['id']}")
    assert (reopened["status"], reopened["amount_paid"]["amount"]) == ("open", 0)
    assert balance(session_factory, customer) == 0
    assert world.subscription(invoice["subscription"])["status"] == "past_due"


def test_a_debit_that_returns_no_transfer_of_ours_changes_nothing(api: Api) -> None:
    world, invoice = paid_by_transfer(api)
    ref = invoice["payment_reference"]
    upload(
        api,
        returned(
            debit("60.49", ref, acct_svcr_ref="D-1"),  # not the amount
            debit("60.50", "bank fees", acct_svcr_ref="D-2", reversal=True),  # no reference
        ),
    )
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    statuses = sorted(t["status"] for t in transactions(api))
    assert statuses == ["ignored", "ignored", "matched"]
    assert world.subscription(invoice["subscription"])["status"] == "active"


def test_a_reopened_invoice_is_charged_only_when_asked(api: Api) -> None:
    world, invoice = paid_by_transfer(api)
    back = debit("60.50", invoice["payment_reference"], acct_svcr_ref="R-3", reversal=True)
    upload(api, returned(back))
    world.card(invoice["customer"], "tok_sandbox_visa")
    # The first retry day passes: a transfer invoice's retry finds it unpaid, charges nothing.
    world.advance_to(START + timedelta(days=2))
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "open"
    assert len(api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]) == 1
    api.ok("POST", f"/v1/invoices/{invoice['id']}/pay", json={})
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    assert world.subscription(invoice["subscription"])["status"] == "active"
