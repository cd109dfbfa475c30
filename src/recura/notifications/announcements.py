"""An announcement's emails: written by the worker in chunks after it is published, one
per targeted customer who did not opt out of marketing, then sent like every email
(`emails`: staged, timely, skipped once the customer opts out or the announcement is
withdrawn).

Publishing marks the announcement `pending`; each turn of this handler locks one such
announcement (SKIP LOCKED), writes the emails of the next chunk of its customers (by id,
after `email_cursor`) and moves the cursor, in one transaction: a crash loses the chunk
and its cursor together, so the next turn writes it again, and each customer is written
once (the email row's unique key, (event, template, customer), stands behind that). No
transaction holds more than a chunk, however many customers the announcement targets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.db import bulk
from recura.db.models import Announcement, EmailMessage
from recura.domains.accounts import repository as accounts_repository
from recura.domains.announcements import repository
from recura.domains.common import languages, localized
from recura.ids import new_ids

TEMPLATE = "announcement"
CHUNK = 500
# SQLite has one writer: smaller chunks keep requests from waiting on it.
SQLITE_CHUNK = 200
DONE = "done"


def chunk_size(dialect: str) -> int:
    return SQLITE_CHUNK if dialect == "sqlite" else CHUNK


def message_id(event_id: str, customer_id: str) -> str:
    return f"<{event_id}.{TEMPLATE}.{customer_id}@recura>"


def write_due(session: Session, now: datetime, limit: int | None = None) -> int:
    """The worker's step: the emails of one chunk of one announcement being emailed;
    returns how many customers the chunk held (a full chunk: there may be more)."""
    limit = limit or chunk_size(session.get_bind().dialect.name)
    announcement = repository.lock_emailing(session)
    if announcement is None:
        return 0
    ended = announcement.ends_at is not None and announcement.ends_at <= now
    if announcement.archived_at is not None or announcement.published_event_id is None or ended:
        announcement.email_status = DONE  # withdrawn or over: the rest are not written
        return 0
    customers = repository.recipients(session, announcement, announcement.email_cursor, limit)
    account = accounts_repository.account_by_key(session, announcement.account_id)
    rows = []
    for customer in customers:
        locale = languages.for_customer(customer.locale, account.locale, account.fallback_locale)
        _, text = localized.pick(
            announcement.texts, locale, account.locale, account.fallback_locale
        )
        row = _row(announcement, customer.id, customer.email, locale, now)
        row["context"] = {
            "customer_name": customer.name or "",
            "announcement": announcement.id,
            "title": text["title"],
            "body": text.get("body", ""),
        }
        rows.append(row)
    for row, row_id in zip(rows, new_ids("email_message", len(rows)), strict=True):
        row["id"] = row_id
    bulk.insert_rows(session, EmailMessage, rows)
    if customers:
        announcement.email_cursor = customers[-1].id
    announcement.emails_written += len(rows)
    if len(customers) < limit:
        announcement.email_status = DONE
    return len(customers)


def _row(
    announcement: Announcement,
    customer_id: str,
    address: str | None,
    locale: str,
    now: datetime,
) -> dict[str, Any]:
    event_id = announcement.published_event_id or ""
    return {
        "account_id": announcement.account_id,
        "livemode": announcement.livemode,
        "created_at": now,
        "updated_at": now,
        "event_id": event_id,
        "template": TEMPLATE,
        "customer_id": customer_id,
        "to_address": address,
        "locale": locale,
        "context": {},
        "subject": None,
        "text": None,
        "html": None,
        "status": "pending",
        "attempts": 0,
        # News goes out in real time, not on a customer's test clock.
        "send_after": now,
        "test_clock_id": None,
        "claimed_at": None,
        "next_attempt_at": None,
        "message_id": message_id(event_id, customer_id),
        "last_error": None,
        "sent_at": None,
    }
