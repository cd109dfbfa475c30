"""The account's logo: a PNG, JPEG or WebP image (never SVG, which can carry scripts),
recognised by its first bytes rather than by what the upload claims it is."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import AccountLogo
from recura.domains.accounts import repository
from recura.domains.common.errors import FieldError, InvalidError

MAX_BYTES = 256 * 1024


def image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def put(session: Session, account_id: str, data: bytes, now: datetime) -> AccountLogo:
    if not data:
        raise InvalidError([FieldError("", "the body is empty: send the image's bytes")])
    if len(data) > MAX_BYTES:
        raise InvalidError([FieldError("", f"the logo is larger than {MAX_BYTES // 1024} KB")])
    content_type = image_type(data)
    if content_type is None:
        raise InvalidError([FieldError("", "the logo must be a PNG, JPEG or WebP image")])
    logo = repository.logo(session, account_id) or AccountLogo(account_id=account_id)
    logo.content_type = content_type
    logo.data = data
    logo.sha256 = hashlib.sha256(data).hexdigest()
    logo.updated_at = now
    session.add(logo)
    session.flush()
    return logo


def delete(session: Session, account_id: str) -> None:
    logo = repository.logo(session, account_id)
    if logo is not None:
        session.delete(logo)
        session.flush()
