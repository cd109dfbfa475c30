"""The mail path: a `Mailer` built from the settings, MIME messages, and SMTP delivery
(plain, STARTTLS or implicit TLS, with or without a login) that tells a temporary failure,
worth trying again, from a permanent one."""

from __future__ import annotations

import functools
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from typing import Literal, cast

from recura import staged
from recura.config import Settings

Security = Literal["none", "starttls", "tls"]
DEFAULT_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "tls": 465}
MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # Per read or write; `deadline`: sending one message, in all.
    timeout: float = 10.0
    deadline: float = 30.0
    # Tests trust their own certificate; production verifies against the system's.
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Mailer:
    """Everything the send step needs from the configuration; `smtp` None: do not send."""

    smtp: SmtpConfig | None
    secret: bytes = field(repr=False)
    public_url: str = "http://127.0.0.1:8000"
    default_from: str = "billing@localhost"
    # How late an email may still go out (see emails.py): older ones are skipped.
    max_age: timedelta = MAX_AGE

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        smtp = None
        if settings.smtp_host:
            smtp = SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port or DEFAULT_PORTS[settings.smtp_security],
                security=settings.smtp_security,
                username=settings.smtp_username,
                password=(
                    settings.smtp_password.get_secret_value() if settings.smtp_password else None
                ),
                timeout=settings.smtp_timeout_seconds,
                deadline=settings.smtp_deadline_seconds,
            )
        return cls(
            smtp=smtp,
            secret=settings.secret_key.get_secret_value().encode(),
            public_url=settings.public_url.rstrip("/"),
            default_from=settings.email_from,
            max_age=timedelta(hours=settings.email_max_age_hours),
        )

    def url(self, path: str) -> str:
        return f"{self.public_url}{path}"


class TemporaryFailure(Exception):
    """Try again later: a 4xx answer, a refused or dropped connection, a timeout."""


class PermanentFailure(Exception):
    """A 5xx answer for this message: sending it again would fail the same way."""


@dataclass(frozen=True, slots=True)
class Envelope:
    sender: str
    recipient: str
    message: EmailMessage


def build(
    *,
    from_name: str,
    from_address: str,
    reply_to: str | None,
    to_name: str | None,
    to_address: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    locale: str,
    date: object,
    template: str,
    unsubscribe: tuple[str, str] | None = None,
    images: Mapping[str, bytes] | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
) -> Envelope:
    """A multipart/alternative message (text, then HTML); `unsubscribe` is (https URL,
    mailto address) for RFC 8058 one-click unsubscription; `images` are PNGs the HTML shows
    by Content-ID (`cid:<id>`), attached to it inline (mail clients that block data: URIs
    show these); `attachments` are PDFs by file name (an invoice's)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((from_name, from_address))
    message["To"] = Address(display_name=to_name or "", addr_spec=to_address)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)  # type: ignore[arg-type]
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-Recura-Email"] = template
    if unsubscribe is not None:
        url, mailto = unsubscribe
        message["List-Unsubscribe"] = f"<{url}>, <mailto:{mailto}?subject=unsubscribe>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if images:
        # The alternative just added, last of the message's parts.
        html_part = cast(EmailMessage, list(message.iter_parts())[-1])
        for content_id, png in images.items():
            html_part.add_related(
                png, maintype="image", subtype="png", cid=f"<{content_id}>", disposition="inline"
            )
    for filename, pdf in attachments:
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    message["Content-Language"] = locale  # after the parts: setting content clears it
    return Envelope(from_address, to_address, message)


class _Client(smtplib.SMTP):
    """smtplib's client, handing its socket to the current deadline as soon as it is
    connected (the server's greeting is read within it)."""

    watch: Callable[[socket.socket], None] = staticmethod(lambda sock: None)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((host, port), timeout, self.source_address)
        self.watch(sock)
        return sock


class _TlsClient(smtplib.SMTP_SSL):
    """The same for implicit TLS: the plain socket is watched during the handshake."""

    watch: Callable[[socket.socket], None] = staticmethod(lambda sock: None)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        plain = socket.create_connection((host, port), timeout, self.source_address)
        self.watch(plain)
        host_name = self._host  # type: ignore[attr-defined]
        sock = self.context.wrap_socket(plain, server_hostname=host_name)
        self.watch(sock)
        return sock


@functools.cache
def _system_context() -> ssl.SSLContext:
    """The system's certificates, loaded once per process (it took longer than sending a
    batch), and only by a connection that uses TLS."""
    return ssl.create_default_context()


class Connection:
    """One SMTP session for a batch, opened at the first message, reopened after a drop.
    Each message is sent within its own total deadline: the session's socket is cut when
    it passes, and the message is tried again later."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        self._deadline: staged.Deadline | None = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _watch(self, sock: socket.socket) -> None:
        if self._deadline is not None:
            self._deadline.watch(sock)

    def _open(self) -> smtplib.SMTP:
        c = self.config
        context = c.ssl_context or (_system_context() if c.security != "none" else None)
        smtp: _Client | _TlsClient
        if c.security == "tls":
            smtp = _TlsClient(timeout=c.timeout, context=context)
        else:
            smtp = _Client(timeout=c.timeout)
        smtp.watch = self._watch
        # Connected below rather than by the constructor, so that the socket is watched;
        # TLS checks the certificate against the name the constructor would have kept.
        smtp._host = c.host  # type: ignore[union-attr]
        try:
            smtp.connect(c.host, c.port)
            smtp.ehlo()
            if c.security == "starttls":
                smtp.starttls(context=context)
                self._watch(smtp.sock)  # type: ignore[arg-type]
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, envelope: Envelope, deadline: staged.Deadline | None = None) -> None:
        """Deliver one message or raise TemporaryFailure / PermanentFailure."""
        if deadline is None:
            with staged.Deadline(self.config.deadline) as own:
                return self.send(envelope, own)
        self._deadline = deadline
        try:
            self._send(envelope)
        except TemporaryFailure:
            if deadline.passed:
                raise TemporaryFailure(
                    f"no answer within {deadline.seconds:g} s in all (cut off)"
                ) from None
            raise
        finally:
            self._deadline = None
        if deadline.passed:  # sent, but the session was cut meanwhile: a new one next time
            self._drop()
        return None

    def _send(self, envelope: Envelope) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._open()
            elif self._smtp.sock is not None:
                self._watch(self._smtp.sock)
            refused = self._smtp.send_message(
                envelope.message, from_addr=envelope.sender, to_addrs=[envelope.recipient]
            )
        except smtplib.SMTPRecipientsRefused as error:
            self._reset()
            codes = [code for code, _ in error.recipients.values()]
            detail = "; ".join(f"{code} {text!r}" for code, text in error.recipients.values())
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipient refused: {detail}") from None
            raise TemporaryFailure(f"recipient refused: {detail}") from None
        except smtplib.SMTPAuthenticationError as error:
            # The server's configuration, not the message: it may be fixed, so try again.
            self._drop()
            raise TemporaryFailure(f"SMTP login failed: {error.smtp_code}") from None
        except smtplib.SMTPResponseException as error:
            raw = error.smtp_error
            text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw or "")
            self._reset()
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(f"{error.smtp_code} {text}") from None
            raise TemporaryFailure(f"{error.smtp_code} {text}") from None
        except (smtplib.SMTPException, OSError) as error:  # dropped, refused, timed out
            self._drop()
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from None
        if refused:
            raise TemporaryFailure(f"recipient refused: {refused}")

    def _reset(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None
