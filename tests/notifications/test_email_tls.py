"""The SMTP transport against a real server that requires TLS (STARTTLS or implicit) and a
login, with a certificate made for the test."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from recura.notifications import smtp
from tests.notifications.mailbox import Mailbox, free_port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth: Any
) -> AuthResult:
    ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (b"recura", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture(params=["starttls", "tls"])
def secure_server(
    request: pytest.FixtureRequest, certificate: tuple[Path, Path]
) -> Iterator[tuple[Mailbox, str]]:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    box = Mailbox("127.0.0.1", free_port())
    options: dict[str, Any] = {"authenticator": authenticator, "auth_require_tls": True}
    if request.param == "tls":
        # aiosmtpd counts only STARTTLS as TLS for AUTH; here the whole session is TLS.
        options |= {"ssl_context": server_context, "auth_require_tls": False}
    else:
        options |= {"tls_context": server_context, "require_starttls": True}
    controller = Controller(box, hostname=box.host, port=box.port, **options)
    controller.start()
    try:
        yield box, request.param
    finally:
        controller.stop()


def envelope() -> smtp.Envelope:
    return smtp.build(
        from_name="Norditech",
        from_address="facturare@norditech.ro",
        reply_to=None,
        to_name="Ana Popescu",
        to_address="ana@example.ro",
        subject="Chitanță pentru factura NDT-000042",
        text="Am primit plata dumneavoastră de 49,00\xa0RON.",
        html="<p>Am primit plata dumneavoastră de 49,00\xa0RON.</p>",
        message_id="<evt_1.receipt@recura>",
        locale="ro",
        date=datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
        template="receipt",
    )


def config(box: Mailbox, security: str, cert: Path, password: str) -> smtp.SmtpConfig:
    return smtp.SmtpConfig(
        box.host,
        box.port,
        security=security,  # type: ignore[arg-type]
        username="recura",
        password=password,
        timeout=5,
        ssl_context=ssl.create_default_context(cafile=str(cert)),
    )


def test_sends_over_tls_with_a_login(
    secure_server: tuple[Mailbox, str], certificate: tuple[Path, Path]
) -> None:
    box, security = secure_server
    with smtp.Connection(config(box, security, certificate[0], "s3cret")) as connection:
        connection.send(envelope())
        connection.send(envelope())  # the same session carries the next one
    assert len(box.received) == 2
    message = box.received[0].message
    assert message["Subject"] == "Chitanță pentru factura NDT-000042"
    assert "49,00\xa0RON" in box.received[0].part("plain")


def test_a_refused_login_is_temporary(
    secure_server: tuple[Mailbox, str], certificate: tuple[Path, Path]
) -> None:
    box, security = secure_server
    with (
        smtp.Connection(config(box, security, certificate[0], "wrong")) as connection,
        pytest.raises(smtp.TemporaryFailure, match="login failed"),
    ):
        connection.send(envelope())
    assert box.received == []


def test_an_untrusted_certificate_is_not_sent_to(secure_server: tuple[Mailbox, str]) -> None:
    box, security = secure_server
    strict = smtp.SmtpConfig(box.host, box.port, security=security, timeout=5)  # type: ignore[arg-type]
    with smtp.Connection(strict) as connection, pytest.raises(smtp.TemporaryFailure):
        connection.send(envelope())
    assert box.received == []
