"""Second factor: time-based one-time codes (RFC 6238 by pyotp, 30 s, 6 digits, one step
of drift either way). The secret is kept encrypted under a key derived from the app's
secret and the user's id, so a copy of the database alone does not yield codes."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

from recura.domains.common import sealing

_CONTEXT = "totp secret of "


def new_secret() -> str:
    return pyotp.random_base32()


def uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(secret: str, email: str, issuer: str) -> str:
    """The enrolment QR code as an SVG `data:` address, made here: no third party sees the
    secret, and the page's CSP allows `data:` images."""
    return str(segno.make(uri(secret, email, issuer), error="m").svg_data_uri(scale=5, border=2))


def matched_step(
    secret: str, code: str, now: datetime, used_up_to: int | None = None
) -> int | None:
    """The time step `code` belongs to (now or one step either way), or None. Steps up to
    `used_up_to` are spent: a code seen once, e.g. read over a shoulder, opens nothing again."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    app = pyotp.TOTP(secret)
    now_step = app.timecode(now)
    for step in (now_step - 1, now_step, now_step + 1):
        if used_up_to is not None and step <= used_up_to:
            continue
        if hmac.compare_digest(app.generate_otp(step), code):
            return step
    return None


def accepts(secret: str, code: str, now: datetime) -> bool:
    return matched_step(secret, code, now) is not None


def seal(app_secret: bytes, user_id: str, secret: str) -> str:
    return sealing.seal(app_secret, _CONTEXT + user_id, secret)


def unseal(app_secret: bytes, user_id: str, stored: str) -> str:
    """Raises ValueError when sealed under another app secret or for another user."""
    return sealing.unseal(app_secret, _CONTEXT + user_id, stored)
