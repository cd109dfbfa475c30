"""The worker's share of due work: subscriptions in real time, one batch per turn, through
the runner test clocks use too (`subscriptions.due`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.domains.subscriptions import due

BATCH = due.BATCH
SQLITE_BATCH = due.SQLITE_BATCH


def run_due_subscriptions(session: Session, now: datetime) -> int:
    """One batch of due subscriptions not on a test clock (smaller on SQLite: see
    `due.SQLITE_BATCH`); returns how many were claimed."""
    return due.run(session, now).claimed
