"""What a settings change changed, for its audit entry: the fields whose value differs,
before and after, secrets masked.

A service that changes settings snapshots them before and after and calls `note`; the
request's audit entry (written where the request commits) takes the notes of its session.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

MASK = "••••"
MAX_TEXT = 500
_NOTES = "recura_audit_changes"
# Field names whose values are never written to the log, whatever the service says.
_SECRET_WORDS = ("secret", "password", "token", "api_key", "private_key", "key_hash")


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], secrets: Collection[str] = ()
) -> dict[str, dict[str, Any]]:
    """{field: {"before": …, "after": …}} of the fields that differ; a secret's values are
    masked (a changed secret still shows that it changed)."""
    changed: dict[str, dict[str, Any]] = {}
    for field in sorted(before.keys() | after.keys()):
        old, new = _plain(before.get(field)), _plain(after.get(field))
        if old == new:
            continue
        if field in secrets or any(word in field for word in _SECRET_WORDS):
            old = None if old is None else MASK
            new = None if new is None else MASK
        changed[field] = {"before": _short(old), "after": _short(new)}
    return changed


def note(
    session: Session,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    secrets: Collection[str] = (),
    *,
    prefix: str = "",
) -> None:
    """Keep the change of `before` to `after` for the audit entry of the work on `session`;
    `prefix` names what the fields belong to when one request changes several things."""
    found = diff(before, after, secrets)
    if found:
        notes: dict[str, Any] = session.info.setdefault(_NOTES, {})
        notes.update({f"{prefix}{field}": values for field, values in found.items()})


def take(session: Session) -> dict[str, Any] | None:
    """The changes noted on `session` since the last take, and forget them."""
    notes: dict[str, Any] | None = session.info.pop(_NOTES, None)
    return notes or None


def snapshot(obj: object, fields: Collection[str]) -> dict[str, Any]:
    """The values of `fields` of a row, to compare before and after a change."""
    return {field: _plain(getattr(obj, field, None)) for field in fields}


def _short(value: Any) -> Any:
    """Long texts (an email template's HTML) by their start: the log says what changed,
    the object itself keeps the whole."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    return value


def _plain(value: Any) -> Any:
    """A value as JSON keeps it, so before and after compare as they will be stored."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
