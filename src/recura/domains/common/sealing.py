"""Secrets we must read back (authenticator seeds, tax-authority tokens) are stored
sealed: Fernet (AES-128-CBC with HMAC-SHA256, `cryptography`), under a key derived from the
app's secret key and a context naming what is sealed and whose it is. A copy of the
database alone yields none of them, and a value sealed for one context does not open in
another. (Processor credentials are not sealed yet: `GatewayConnection.config`.)"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "f1."


class Unsealable(ValueError):
    """Sealed under another key or context, or not a sealed value."""


def _fernet(app_secret: bytes, context: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"recura sealing", info=context.encode()
    ).derive(app_secret)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(app_secret: bytes, context: str, plain: str) -> str:
    return _VERSION + _fernet(app_secret, context).encrypt(plain.encode()).decode()


def unseal(app_secret: bytes, context: str, sealed: str) -> str:
    if not sealed.startswith(_VERSION):
        raise Unsealable("not a sealed value")
    try:
        return _fernet(app_secret, context).decrypt(sealed[len(_VERSION) :]).decode()
    except InvalidToken:
        raise Unsealable("sealed under another key or context") from None
