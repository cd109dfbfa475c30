"""API key material: generation and the keyed hash that is all we keep."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
TOKEN_CHARS = 32  # 32 base62 characters = 190 bits of randomness
LIVE_PREFIX = "rk_live_"
TEST_PREFIX = "rk_test_"


def generate(livemode: bool) -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(TOKEN_CHARS))
    return (LIVE_PREFIX if livemode else TEST_PREFIX) + body


def keyed_hash(secret: bytes, token: str) -> str:
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def mode_of(token: str) -> bool | None:
    """True for a live key, False for a test key, None for something that is not a key."""
    if token.startswith(LIVE_PREFIX):
        return True
    if token.startswith(TEST_PREFIX):
        return False
    return None
