"""Writing a support note. Pages name the author; the caller writes the audit entry
(`customer.support_note`), with what `add` noted, as console actions do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Customer, CustomerNote
from recura.domains.audit import changes
from recura.domains.common.tenant import Tenant
from recura.ids import new_id

NOTE_MAX = 1000


def tidy(text: str) -> str:
    """A note as kept: one line, spaces collapsed, at most `NOTE_MAX` characters; empty
    when nothing was written."""
    return " ".join(text.split())[:NOTE_MAX]


def add(
    session: Session,
    tenant: Tenant,
    customer: Customer,
    author_id: str | None,
    author_name: str,
    body: str,
    now: datetime,
) -> CustomerNote:
    note = CustomerNote(
        id=new_id("customer_note"),
        **tenant.row_keys(),
        customer_id=customer.id,
        author_id=author_id,
        author_name=author_name[:400],
        body=tidy(body),
        created_at=now,
    )
    session.add(note)
    session.flush()
    changes.note(session, {"note": None}, {"note": note.body})
    return note
