"""Signed links in emails: a token names its purpose, account, mode, customer and object
(the subscription to reactivate, the invoice to show) and when it stops working, and
carries an HMAC of all that under a key derived from the app's secret, so no one can make
or alter one and no table of tokens is needed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

Purpose = Literal[
    "unsubscribe",
    "update_payment_method",
    "reactivate",
    "invoice",
    "sign_in",
    "portal_session",
    "email_change",
    "password_reset",
]
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
# InvoiceBasis links work for a month; an unsubscribe link, or a receipt's link to its invoice,
# must work as long as the mail is kept.
LIFETIME: dict[Purpose, timedelta] = {
    "unsubscribe": timedelta(days=366),
    "invoice": timedelta(days=366),
    "update_payment_method": timedelta(days=30),
    "reactivate": timedelta(days=30),
    # Ways into the portal, each good once (the portal session's row says whether it was
    # used): the emailed sign-in link for 15 minutes, the merchant's session URL for an hour.
    "sign_in": timedelta(minutes=15),
    "portal_session": timedelta(hours=1),
    # Confirming a new email address: once (the request's row says whether it was used),
    # within a day, by the signed-in customer.
    "email_change": timedelta(hours=24),
    # An operator's forgotten password: once (the user's reset nonce), within 30 minutes.
    "password_reset": timedelta(minutes=30),
}
_CONTEXT = b"recura email links v1"


class InvalidToken(Exception):
    """Not ours, altered, for another purpose, or expired."""


@dataclass(frozen=True, slots=True)
class Claims:
    purpose: Purpose
    account_id: str
    livemode: bool
    customer_id: str
    object_id: str | None
    expires_at: datetime


def _key(secret: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(
    secret: bytes,
    purpose: Purpose,
    account_id: str,
    livemode: bool,
    customer_id: str,
    object_id: str | None,
    now: datetime,
) -> str:
    expires = int((now + LIFETIME[purpose]).timestamp())
    body = [purpose, account_id, int(livemode), customer_id, object_id, expires]
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    mac = hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def peek(secret: bytes, token: str, purpose: Purpose) -> Claims | None:
    """A genuine token's claims, expired or not (to say where to get a fresh one)."""
    try:
        return verify(secret, token, purpose, None)
    except InvalidToken:
        return None


def verify(secret: bytes, token: str, purpose: Purpose, now: datetime | None) -> Claims:
    """The token's claims, if it is genuine, for `purpose` and, unless `now` is None, not
    expired."""
    payload, dot, mac = token.partition(".")
    if not dot or not payload or len(token) > 1024:
        raise InvalidToken("malformed")
    expected = hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest()
    try:
        given = _unb64(mac)
    except ValueError:
        raise InvalidToken("malformed") from None
    if not hmac.compare_digest(expected, given):
        raise InvalidToken("bad signature")
    try:  # signed by us: the shape is ours
        kind, account_id, livemode, customer_id, object_id, expires = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        raise InvalidToken("malformed") from None
    if kind != purpose:
        raise InvalidToken("for another purpose")
    expires_at = datetime.fromtimestamp(int(expires), UTC)
    if now is not None and now >= expires_at:
        raise InvalidToken("expired")
    return Claims(kind, str(account_id), bool(livemode), str(customer_id), object_id, expires_at)
