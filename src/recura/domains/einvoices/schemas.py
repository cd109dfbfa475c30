from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from recura.db.models import EInvoice
from recura.domains.common.fields import example

State = Literal["invalid", "pending", "uploaded", "accepted", "rejected"]


FINDING_EXAMPLE = {
    "rule": "BR-RO-101",
    "severity": "fatal",
    "location": "/*:Invoice[namespace-uri()='urn:oasis:…:Invoice-2'][1]",
    "message": "[BR-RO-100]-… the Buyer city (BT-52) must be coded using the code list "
    "SECTOR-RO(SECTOR1, …, SECTOR6).",
}


class FindingOut(BaseModel):
    """One failed rule: its id, `fatal` (the document is not sent) or `warning`, where in
    the document (an XPath, or a line for the schema), and the rule's own message."""

    model_config = example(FINDING_EXAMPLE)

    rule: str
    severity: str
    location: str
    message: str


class EInvoiceOut(BaseModel):
    model_config = example(
        {
            "object": "einvoice",
            "id": "einv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "credit_note": None,
            "type_code": "380",
            "state": "invalid",
            "findings": [FINDING_EXAMPLE],
            "deadline": "2026-01-22",
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "validated_at": "2026-01-15T09:40:00Z",
            "livemode": False,
            "created_at": "2026-01-15T09:40:00Z",
        }
    )

    object: Literal["einvoice"] = "einvoice"
    id: str
    invoice: str | None
    credit_note: str | None
    type_code: str
    state: State
    findings: list[FindingOut]
    deadline: date | None
    sha256: str | None
    validated_at: datetime | None
    livemode: bool
    created_at: datetime


def to_out(row: EInvoice) -> EInvoiceOut:
    return EInvoiceOut(
        id=row.id,
        invoice=row.invoice_id,
        credit_note=row.credit_note_id,
        type_code=row.type_code,
        state=row.state,
        findings=[FindingOut(**{k: f[k] for k in FindingOut.model_fields}) for f in row.findings],
        deadline=row.deadline,
        sha256=row.sha256,
        validated_at=row.validated_at,
        livemode=row.livemode,
        created_at=row.created_at,
    )
