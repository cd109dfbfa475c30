"""What the API shows of e-invoices and of the ANAF connection."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from recura.domains.einvoices.schemas import FindingOut

State = Literal["invalid", "pending", "uploaded", "accepted", "rejected"]


class AnafMessageOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"rule": "BR-RO-010", "message": "[BR-RO-010] Numarul de inregistrare"}]
        }
    )

    rule: str
    message: str


EINVOICE_EXAMPLE: dict[str, JsonValue] = {
    "id": "einv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "object": "einvoice",
    "invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "credit_note": None,
    "type_code": "380",
    "state": "accepted",
    "findings": [],
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "validated_at": "2026-02-02T08:59:00Z",
    "deadline": "2026-02-06",
    "at_risk": False,
    "upload_index": "5001234567",
    "download_id": "3001234567",
    "messages": [],
    "has_answer": True,
    "attempts": 0,
    "next_attempt_at": None,
    "uploaded_at": "2026-02-02T09:00:00Z",
    "decided_at": "2026-02-02T09:05:00Z",
    "correction_invoice": None,
    "livemode": False,
    "created_at": "2026-02-02T08:59:00Z",
}


class EInvoiceOut(BaseModel):
    """The e-invoice of an invoice or credit note: the UBL document made and validated
    offline (`findings`, `sha256`, `validated_at`), and its way through ANAF's e-Factura."""

    model_config = ConfigDict(json_schema_extra={"examples": [EINVOICE_EXAMPLE]})

    id: str
    object: Literal["einvoice"] = "einvoice"
    invoice: str | None
    credit_note: str | None
    type_code: str
    state: State
    findings: list[FindingOut] = Field(
        description="The offline rules' findings; a fatal one keeps the document unsent."
    )
    sha256: str | None
    validated_at: datetime | None = Field(
        description="When the EN 16931 and CIUS-RO rules passed it; null: not yet."
    )
    deadline: date | None
    at_risk: bool = Field(
        description="Not accepted, and the upload deadline is within 2 working days or past."
    )
    upload_index: str | None
    download_id: str | None
    messages: list[AnafMessageOut]
    has_answer: bool = Field(description="ANAF's signed answer (a ZIP) is archived.")
    attempts: int
    next_attempt_at: datetime | None
    uploaded_at: datetime | None
    decided_at: datetime | None
    correction_invoice: str | None = Field(
        description="The invoice issued in place of this rejected one (after a credit note)."
    )
    livemode: bool
    created_at: datetime


class CorrectionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "einvoice": {
                        **EINVOICE_EXAMPLE,
                        "state": "rejected",
                        "has_answer": True,
                        "correction_invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3B",
                    },
                    "credit_note": "cn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
                    "invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3B",
                }
            ]
        }
    )

    einvoice: EInvoiceOut
    credit_note: str
    invoice: str


class AnafConnectionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "connected": True,
                    "id": "anafc_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
                    "cif": "18547290",
                    "environment": "test",
                    "client_id": "3c1f0a2b",
                    "connected_at": "2026-01-15T09:30:00Z",
                    "access_expires_at": "2026-04-15T09:30:00Z",
                    "refresh_expires_at": "2027-01-15T09:30:00Z",
                    "refresh_expiring": False,
                    "last_error": None,
                }
            ]
        }
    )

    connected: bool
    id: str | None = None
    cif: str | None = None
    environment: Literal["test", "prod"] | None = None
    client_id: str | None = None
    connected_at: datetime | None = None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    refresh_expiring: bool = Field(
        default=False,
        description="The refresh token ends within 14 days: connect again before then.",
    )
    last_error: str | None = None
