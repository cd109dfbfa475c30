"""Second factor: time-based one-time codes (RFC 6238 by pyotp, 30 s, 6 digits, one step
of drift either way). The secret is kept encrypted under a key derived from the app's
secret and the user's id, so a copy of the database alone does not yield codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

_CONTEXT = b"recura totp secrets v1"


def new_secret() -> str:
    return pyotp.random_base32()


def uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(secret: str, email: str, issuer: str) -> str:
    """The enrolment QR code as an SVG `data:` address, made here: no third party sees the
    secret, and the page's CSP allows `data:` images."""
    return str(segno.make(uri(secret, email, issuer), error="m").svg_data_uri(scale=5, border=2))


def accepts(secret: str, code: str, now: datetime) -> bool:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return False
    return pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1)


def seal(app_secret: bytes, user_id: str, secret: str) -> str:
    """The TOTP secret encrypted: XOR with an HMAC-SHA256 keystream under a fresh nonce."""
    nonce = secrets.token_bytes(16)
    plain = secret.encode()
    sealed = bytes(
        a ^ b for a, b in zip(plain, _stream(app_secret, user_id, nonce, len(plain)), strict=True)
    )
    return "v1." + _b64(nonce) + "." + _b64(sealed)


def unseal(app_secret: bytes, user_id: str, stored: str) -> str:
    version, _, rest = stored.partition(".")
    if version != "v1":
        raise ValueError("unknown TOTP secret format")
    nonce_text, _, sealed_text = rest.partition(".")
    nonce, sealed = _unb64(nonce_text), _unb64(sealed_text)
    stream = _stream(app_secret, user_id, nonce, len(sealed))
    plain = bytes(a ^ b for a, b in zip(sealed, stream, strict=True))
    try:
        return plain.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("not sealed under this key") from None


def _stream(app_secret: bytes, user_id: str, nonce: bytes, length: int) -> bytes:
    key = hmac.new(app_secret, _CONTEXT + b"\0" + user_id.encode(), hashlib.sha256).digest()
    out = b""
    counter = 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
