"""Partner-link tokens: what a partner brand receives in the link of a perk, and how it
checks the link came from the merchant, names one of its subscribers and is still fresh.

A token is five fields joined by dots:

    v1.<perk id>.<customer id>.<expires>.<signature>

- `expires`: when the token stops being valid, in whole seconds since the Unix epoch (UTC);
  it is valid while the partner's clock is before that second.
- `signature`: HMAC-SHA256, keyed with the perk's secret (the whole `pks_…` string as
  UTF-8 bytes), of the first four fields joined by dots exactly as they appear in the
  token (`v1.<perk id>.<customer id>.<expires>`), encoded base64url without `=` padding.

Ids never contain a dot, and every character of a token is safe in a URL. A partner has
no API key: it needs only the secret the merchant passed on and these few lines, which
`docs/partner-perks.md` shows in other languages. Pure: no clock is read, `now` is given.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

VERSION: Final = "v1"
SECRET_PREFIX: Final = "pks_"  # noqa: S105 (a prefix, not a secret)
_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")

Reason = Literal["malformed", "signature", "expired", "perk"]


class InvalidPerkToken(ValueError):
    """The token is not one to honour; `reason` says why."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class PerkClaims:
    """What a valid token says: whose perk it is, and until when (Unix seconds)."""

    perk: str
    customer: str
    expires: int


def _seconds(at: int | datetime) -> int:
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("a naive datetime has no instant")
        return int(at.astimezone(UTC).timestamp())
    return int(at)


def _signature(secret: str, signed: str) -> str:
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _check_id(value: str, what: str) -> None:
    if not value or not set(value) <= _ID_CHARACTERS:
        raise ValueError(f"a {what} id is letters, digits, '_' and '-': {value!r}")


def sign(secret: str, perk: str, customer: str, expires: int | datetime) -> str:
    """The token of `customer`'s perk, valid until `expires`."""
    if not secret:
        raise ValueError("a token needs the perk's secret")
    _check_id(perk, "perk")
    _check_id(customer, "customer")
    signed = f"{VERSION}.{perk}.{customer}.{_seconds(expires)}"
    return f"{signed}.{_signature(secret, signed)}"


def verify(
    token: str,
    secrets: str | Sequence[str],
    now: int | datetime,
    *,
    perk: str | None = None,
) -> PerkClaims:
    """The token's claims if one of `secrets` signed it and it has not expired at `now`
    (and, given `perk`, it is that perk's); otherwise `InvalidPerkToken`. Several secrets:
    while a rotated secret is being switched, the previous one may still be accepted."""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != VERSION:
        raise InvalidPerkToken("malformed", "not a v1 perk token")
    _, perk_id, customer_id, expires_text, signature = parts
    if not (expires_text.isascii() and expires_text.isdigit()) or len(expires_text) > 12:
        raise InvalidPerkToken("malformed", "the expiry is not a number of seconds")
    if not perk_id or not customer_id:
        raise InvalidPerkToken("malformed", "the token names no perk or no customer")
    signed = token[: -len(signature) - 1]
    if not any(
        key and hmac.compare_digest(_signature(key, signed).encode(), signature.encode())
        for key in keys
    ):
        raise InvalidPerkToken("signature", "the signature does not match")
    expires = int(expires_text)
    if _seconds(now) >= expires:
        raise InvalidPerkToken("expired", "the token has expired")
    if perk is not None and perk_id != perk:
        raise InvalidPerkToken("perk", f"the token is for another perk ({perk_id})")
    return PerkClaims(perk_id, customer_id, expires)
