from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, JSONType, TenantColumns


class EInvoice(TenantColumns, Base):
    """The e-invoice of one finalised invoice (UBL Invoice, type 380) or credit note (UBL
    CreditNote, 381) and its way through ANAF's e-Factura.

    The document is made once, after finalisation, validated offline with the EN 16931 and
    CIUS-RO rules, and never changed: `state` is `invalid` (its findings say which rule and
    field; never sent), `pending` (valid, waiting to be uploaded), `uploaded` (ANAF gave an
    upload index), then `accepted` (ANAF's signed answer archived in `answer`) or `rejected`
    (ANAF's messages kept; corrected by a credit note and a new invoice).

    An upload whose answer never came back (cut, dropped, a 5xx from ANAF's gateway) may
    have been taken all the same: `upload_unconfirmed_since` says since when, and the
    e-invoice stays `pending` while ANAF's message list is searched for it.
    """

    __tablename__ = "einvoices"
    __table_args__ = (
        ForeignKeyConstraint(["account_id", "invoice_id"], ["invoices.account_id", "invoices.id"]),
        ForeignKeyConstraint(
            ["account_id", "credit_note_id"], ["credit_notes.account_id", "credit_notes.id"]
        ),
        # One e-invoice per document.
        Index(
            "ux_einvoices_invoice",
            "account_id",
            "invoice_id",
            unique=True,
            sqlite_where=text("invoice_id IS NOT NULL"),
            postgresql_where=text("invoice_id IS NOT NULL"),
        ),
        Index(
            "ux_einvoices_credit_note",
            "account_id",
            "credit_note_id",
            unique=True,
            sqlite_where=text("credit_note_id IS NOT NULL"),
            postgresql_where=text("credit_note_id IS NOT NULL"),
        ),
        # The uploader's and the status poller's work, across accounts.
        Index("ix_einvoices_state_next_attempt_at", "state", "next_attempt_at"),
    )

    invoice_id: Mapped[str | None] = mapped_column(ID)
    credit_note_id: Mapped[str | None] = mapped_column(ID)
    type_code: Mapped[str] = mapped_column(String(3))  # UNTDID 1001: 380 invoice, 381 credit
    xml: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    # Validation findings: [{"rule", "severity", "location", "message", "rule_set"}]; fatal
    # ones block.
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(16))
    # When the document was checked against the EN 16931 and CIUS-RO rules; null while it
    # could not be (rules not installed, no exchange rate yet): such a document is `pending`
    # but is never uploaded until the worker has validated it.
    validated_at: Mapped[datetime | None]
    # The last day to upload: 5 working days after the issue date (Romanian holidays).
    deadline: Mapped[date | None]
    # ANAF: the upload's index (index_incarcare), the answer's download id (id_descarcare),
    # ANAF's messages (errors of a rejection), and the signed answer (a ZIP).
    upload_index: Mapped[str | None] = mapped_column(String(32))
    download_id: Mapped[str | None] = mapped_column(String(32))
    anaf_messages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    answer: Mapped[bytes | None] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set when an upload is claimed, cleared by its answer: while set, ANAF may hold the
    # document under an index Recura never heard, so it is looked for, not uploaded again.
    upload_unconfirmed_since: Mapped[datetime | None]
    # ANAF's messages not known to Recura listed since then, each looked at once:
    # [{"index", "download_id", "checked"}].
    unconfirmed_messages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    next_attempt_at: Mapped[datetime | None]
    uploaded_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    # A rejected invoice corrected the legal way: credited in full, and this invoice issued
    # with the same lines in its place.
    correction_invoice_id: Mapped[str | None] = mapped_column(ID)
    updated_at: Mapped[datetime]
