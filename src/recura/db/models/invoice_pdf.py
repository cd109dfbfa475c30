from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base, TenantColumns


class InvoicePdf(TenantColumns, Base):
    """The PDF of one finalised invoice or credit note, in its customer's language.

    The outbox dispatcher writes the row, empty, when the document is issued; the worker
    renders the PDF outside any billing transaction and stores it with its SHA-256 once.
    A stored PDF is never rendered or changed again: the document as issued is what the
    customer, the merchant and an inspector download.
    """

    __tablename__ = "invoice_pdfs"
    __table_args__ = (
        ForeignKeyConstraint(["account_id", "invoice_id"], ["invoices.account_id", "invoices.id"]),
        ForeignKeyConstraint(
            ["account_id", "credit_note_id"], ["credit_notes.account_id", "credit_notes.id"]
        ),
        # One PDF per document.
        Index(
            "ux_invoice_pdfs_invoice",
            "account_id",
            "invoice_id",
            unique=True,
            sqlite_where=text("invoice_id IS NOT NULL"),
            postgresql_where=text("invoice_id IS NOT NULL"),
        ),
        Index(
            "ux_invoice_pdfs_credit_note",
            "account_id",
            "credit_note_id",
            unique=True,
            sqlite_where=text("credit_note_id IS NOT NULL"),
            postgresql_where=text("credit_note_id IS NOT NULL"),
        ),
        # The worker's work across accounts: only the few PDFs not made yet.
        Index(
            "ix_invoice_pdfs_pending",
            "next_attempt_at",
            sqlite_where=text("content IS NULL"),
            postgresql_where=text("content IS NULL"),
        ),
    )

    invoice_id: Mapped[str | None] = mapped_column(ID)
    credit_note_id: Mapped[str | None] = mapped_column(ID)
    # The language it is written in: the customer's when it was made.
    locale: Mapped[str | None] = mapped_column(String(16))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    # Making it: when a worker took it (a claim older than staged.CLAIM_EXPIRES is
    # abandoned), the tries so far, when to try again after a failure, and why it failed.
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    made_at: Mapped[datetime | None]
