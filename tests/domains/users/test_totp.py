"""TOTP: codes from the user's app (pyotp here) within a step either way; the secret
stored sealed under the app's secret and the user's id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from recura.domains.users import totp

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def test_codes_of_now_and_the_next_step_are_accepted() -> None:
    secret = totp.new_secret()
    app = pyotp.TOTP(secret)
    assert totp.accepts(secret, app.at(NOW), NOW)
    assert totp.accepts(secret, " ".join([app.at(NOW)[:3], app.at(NOW)[3:]]), NOW)
    assert totp.accepts(secret, app.at(NOW - timedelta(seconds=30)), NOW)
    assert not totp.accepts(secret, app.at(NOW - timedelta(minutes=5)), NOW)
    assert not totp.accepts(secret, "abcdef", NOW)
    assert not totp.accepts(secret, "", NOW)


def test_the_secret_is_sealed_per_user_and_app_secret() -> None:
    secret = totp.new_secret()
    sealed = totp.seal(b"app secret", "usr_1", secret)
    assert secret not in sealed
    assert totp.seal(b"app secret", "usr_1", secret) != sealed  # a fresh nonce each time
    assert totp.unseal(b"app secret", "usr_1", sealed) == secret
    assert opened(b"app secret", "usr_2", sealed) != secret
    assert opened(b"other secret", "usr_1", sealed) != secret


def opened(app_secret: bytes, user_id: str, sealed: str) -> str | None:
    try:
        return totp.unseal(app_secret, user_id, sealed)
    except ValueError:
        return None


def test_the_qr_code_is_an_svg_of_the_provisioning_uri() -> None:
    secret = totp.new_secret()
    found = totp.qr_data_uri(secret, "ioana@norditech.example", "Recura")
    assert found.startswith("data:image/svg+xml")
    uri = totp.uri(secret, "ioana@norditech.example", "Recura")
    assert uri.startswith(f"otpauth://totp/Recura:ioana%40norditech.example?secret={secret}")
