"""Passwords are argon2id hashes; an unknown user's check fails like a wrong password."""

from __future__ import annotations

from recura.domains.users import passwords


def test_argon2id_hashes_that_verify() -> None:
    hashed = passwords.hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert passwords.verify(hashed, "correct horse battery staple")
    assert not passwords.verify(hashed, "Correct horse battery staple")
    assert not passwords.verify(None, "correct horse battery staple")
    assert not passwords.verify("not a hash", "x")
    assert not passwords.needs_rehash(hashed)


def test_what_a_new_password_needs() -> None:
    assert passwords.problem("short") == "password.too_short"
    assert passwords.problem("x" * 300) == "password.too_long"
    assert passwords.problem("twelve chars") is None
