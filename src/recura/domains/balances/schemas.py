"""A customer's credit balance and its ledger as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from recura.db.models import BalanceEntry
from recura.domains.common.fields import MoneyOut, example


class BalanceOut(BaseModel):
    """Credit per currency: what the customer's next invoices in it spend first."""

    model_config = example(
        {
            "object": "customer_balance",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "available": [{"amount": 2500, "currency": "RON"}],
        }
    )

    object: Literal["customer_balance"] = "customer_balance"
    customer: str
    available: list[MoneyOut]


class BalanceEntryOut(BaseModel):
    """One movement of the balance: positive gives credit, negative spends it."""

    model_config = example(
        {
            "object": "balance_entry",
            "id": "cbt_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "amount": {"amount": 2500, "currency": "RON"},
            "kind": "invoice_credit",
            "description": "Invoice inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "credit_note": None,
            "livemode": False,
            "created_at": "2026-02-11T10:00:00Z",
        }
    )

    object: Literal["balance_entry"] = "balance_entry"
    id: str
    customer: str
    amount: MoneyOut
    kind: str
    description: str
    invoice: str | None
    credit_note: str | None
    livemode: bool
    created_at: datetime

    @classmethod
    def of(cls, entry: BalanceEntry) -> BalanceEntryOut:
        return cls(
            id=entry.id,
            customer=entry.customer_id,
            amount=MoneyOut(amount=entry.amount, currency=entry.currency),
            kind=entry.kind,
            description=entry.description,
            invoice=entry.invoice_id,
            credit_note=entry.credit_note_id,
            livemode=entry.livemode,
            created_at=entry.created_at,
        )
