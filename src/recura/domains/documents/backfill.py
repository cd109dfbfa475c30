"""Queueing the PDFs of documents issued before Recura made PDFs, or while an account had
them off: `recura documents backfill`.

Recura makes a document's PDF when the outbox dispatches its `invoice.finalized` or
`credit_note.created` event (`making.queue`), and an invoice's at the latest when it is
paid; an invoice issued earlier and still unpaid has none. The backfill adds the same empty
row for each such finalised invoice and credit note, and the worker renders them as it
renders new ones: nothing is rendered here. Rows are unique per document, so running it
again, or while the worker queues new documents, adds nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.domains.documents import making, repository

# Documents queued per transaction: a large history never holds the write lock for long.
CHUNK = 500


def queue_missing(
    session: Session, now: datetime, *, account_id: str | None = None, limit: int = CHUNK
) -> int:
    """Queue the PDFs of up to `limit` finalised documents that have none, of accounts with
    `invoice_pdfs` on (or of `account_id` alone); returns how many were queued."""
    found = repository.without_pdf(session, account_id, limit)
    making.insert(
        session,
        [
            making.empty_row(account, livemode, column, id_, now)
            for account, livemode, column, id_ in found
        ],
    )
    return len(found)
