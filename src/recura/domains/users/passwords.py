"""Operators' passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended profile), checked in constant time, rehashed when the parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher()
# Checked against when no user has the address, so an unknown address costs the same time.
_DECOY = _hasher.hash("recura decoy password, never anyone's")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; None (no such user) takes as long and fails."""
    try:
        return _hasher.verify(password_hash or _DECOY, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def problem(password: str) -> str | None:
    """The message key of what is wrong with a new password, if anything."""
    if len(password) < MIN_LENGTH:
        return "password.too_short"
    if len(password) > MAX_LENGTH:
        return "password.too_long"
    return None
