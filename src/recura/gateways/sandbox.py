"""The sandbox processor: no network, no account, every outcome on demand.

Test payment methods behave like a processor's test cards: one succeeds, others decline for a
given reason, ask for customer action, or time out — before reaching the processor or after
it has charged. Its book of charges lives in its own table, written in its own transaction,
so a caller that crashes or rolls back finds the charge there, as with a real processor.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.core.money import Money
from recura.db.engine import make_engine
from recura.db.models import SandboxCharge
from recura.gateways.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    CustomerInfo,
    GatewayError,
    GatewayEvent,
    GatewayTimeout,
    RefundRequest,
    RefundResult,
    SavedMethod,
    SetupSession,
    WebhookRejected,
)


@dataclass(frozen=True, slots=True)
class TestCard:
    behaviour: str
    brand: str
    last4: str
    failure_code: str | None = None
    message: str | None = None


CARDS: Mapping[str, TestCard] = {
    "tok_sandbox_visa": TestCard("succeed", "visa", "4242"),
    "tok_sandbox_mastercard": TestCard("succeed", "mastercard", "4444"),
    "tok_sandbox_insufficient_funds": TestCard(
        "decline", "visa", "9995", "insufficient_funds", "Your card has insufficient funds."
    ),
    "tok_sandbox_expired_card": TestCard(
        "decline", "visa", "0069", "expired_card", "Your card has expired."
    ),
    "tok_sandbox_declined": TestCard(
        "decline", "visa", "0002", "card_declined", "Your card was declined."
    ),
    "tok_sandbox_requires_action": TestCard("action", "visa", "3155"),
    "tok_sandbox_timeout": TestCard("timeout_before", "visa", "0119"),
    "tok_sandbox_timeout_after_success": TestCard("timeout_after", "visa", "1629"),
}
_MESSAGES = {c.failure_code: c.message for c in CARDS.values() if c.failure_code and c.message}
_BY_BEHAVIOUR_LAST4 = {(c.behaviour, c.last4): name for name, c in CARDS.items()}
_REFUND = "refund:"


def parse_token(token: str) -> tuple[TestCard, int, int]:
    """`tok_sandbox_visa`, optionally `_exp_YYYY_MM` (default 12/2099) -> card and expiry."""
    name, _, expiry = token.partition("_exp_")
    card = CARDS.get(name)
    year, month = 2099, 12
    if expiry:
        try:
            year_text, month_text = expiry.split("_")
            year, month = int(year_text), int(month_text)
        except ValueError:
            card = None
    if card is None or not 1 <= month <= 12 or not 2000 <= year <= 2199:
        raise GatewayError(
            f"unknown sandbox token {token!r}; use one of {', '.join(sorted(CARDS))}"
            " (optionally followed by _exp_YYYY_MM)"
        )
    return card, year, month


def _card_of(method: str) -> TestCard:
    # sbx_<last4>_<behaviour>_<random>: the behaviour travels with the reference, so any
    # process can charge it without asking anyone.
    try:
        _, last4, rest = method.split("_", 2)
        behaviour = rest.rsplit("_", 1)[0]
        return CARDS[_BY_BEHAVIOUR_LAST4[(behaviour, last4)]]
    except (ValueError, KeyError):
        raise GatewayError(f"{method!r} is not a sandbox payment method") from None


_books: dict[str, Engine] = {}
_books_lock = threading.Lock()


def book_engine(engine: Engine) -> Engine:
    """Where the sandbox keeps its book: the same PostgreSQL database (its own connection,
    its own transaction), or, next to a SQLite database, a file of its own — SQLite has one
    writer at a time, and the caller may be holding that lock while it charges."""
    if engine.dialect.name != "sqlite":
        return engine
    database = engine.url.database or ""
    url = "sqlite://" if database in ("", ":memory:") else f"sqlite:///{database}-sandbox"
    with _books_lock:
        book = _books.get(url)
        if book is None:
            book = _books[url] = make_engine(url)
            table = SandboxCharge.metadata.tables[SandboxCharge.__tablename__]
            SandboxCharge.metadata.create_all(book, tables=[table], checkfirst=True)
        return book


class SandboxGateway:
    name = "sandbox"

    def __init__(
        self,
        engine: Engine,
        account_id: str,
        *,
        timeout_rate: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        self._engine = book_engine(engine)
        self._account_id = account_id
        # Chaos: this share of charges time out, half before reaching the book, half after.
        self._timeout_rate = timeout_rate
        self._rng = rng or random.Random()  # noqa: S311 - fault injection, not secrets

    def start_setup(self, customer: CustomerInfo, return_url: str | None, key: str) -> SetupSession:
        return SetupSession(processor_customer=None, test_tokens=tuple(CARDS))

    def complete_setup(self, customer: CustomerInfo, token: str) -> SavedMethod:
        card, year, month = parse_token(token)
        return SavedMethod(
            reference=f"sbx_{card.last4}_{card.behaviour}_{secrets.token_hex(6)}",
            kind="card",
            brand=card.brand,
            last4=card.last4,
            exp_month=month,
            exp_year=year,
        )

    def detach(self, method: SavedMethod) -> None:
        _card_of(method.reference)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        card = _card_of(request.method)
        fault = self._fault()
        if card.behaviour == "timeout_before" or fault == "before":
            raise GatewayTimeout("sandbox: no answer (the charge never arrived)")
        status, code, message = {
            "succeed": ("succeeded", None, None),
            "timeout_after": ("succeeded", None, None),
            "decline": ("failed", card.failure_code, card.message),
            "action": ("requires_action", "authentication_required", None),
        }[card.behaviour]
        row = SandboxCharge(
            account_id=self._account_id,
            idempotency_key=request.idempotency_key,
            reference=f"sbxch_{secrets.token_hex(8)}",
            method=request.method,
            amount=request.amount.minor,
            currency=request.amount.currency,
            status=status,
            failure_code=code,
            amount_refunded=0,
            created_at=datetime.now(UTC),
        )
        booked = self._book(row)
        if (booked.amount, booked.currency) != (request.amount.minor, request.amount.currency):
            raise GatewayError("sandbox: idempotency key reused for a different amount")
        if card.behaviour == "timeout_after" or fault == "after":
            raise GatewayTimeout("sandbox: no answer (the charge was made)")
        return self._result(booked, message)

    def lookup(self, idempotency_key: str, reference: str | None) -> ChargeResult:
        with Session(self._engine) as session:
            row = session.get(SandboxCharge, (self._account_id, idempotency_key))
            if row is None or row.method.startswith(_REFUND):
                return ChargeResult(status="not_found")
            return self._result(row, None)

    def cancel(self, reference: str) -> ChargeResult:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            row = session.scalars(
                select(SandboxCharge)
                .where(
                    SandboxCharge.account_id == self._account_id,
                    SandboxCharge.reference == reference,
                )
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise GatewayError(f"sandbox: no charge {reference!r}")
            if row.status == "requires_action":
                row.status, row.failure_code = "canceled", "canceled"
            return self._result(row, None)

    def refund(self, request: RefundRequest) -> RefundResult:
        with Session(self._engine) as session, session.begin():
            charge = session.scalars(
                select(SandboxCharge)
                .where(
                    SandboxCharge.account_id == self._account_id,
                    SandboxCharge.reference == request.payment_reference,
                )
                .with_for_update()
            ).one_or_none()
            if charge is None or charge.status != "succeeded":
                raise GatewayError(f"sandbox: no succeeded charge {request.payment_reference!r}")
            if request.amount.currency != charge.currency:
                raise GatewayError("sandbox: refund currency differs from the charge's")
            done = session.get(SandboxCharge, (self._account_id, request.idempotency_key))
            if done is None:
                if request.amount.minor > charge.amount - charge.amount_refunded:
                    raise GatewayError("sandbox: refund exceeds what is left of the charge")
                done = SandboxCharge(
                    account_id=self._account_id,
                    idempotency_key=request.idempotency_key,
                    reference=f"sbxre_{secrets.token_hex(8)}",
                    method=_REFUND + charge.reference,
                    amount=request.amount.minor,
                    currency=charge.currency,
                    status="succeeded",
                    failure_code=None,
                    amount_refunded=0,
                    created_at=datetime.now(UTC),
                )
                session.add(done)
                charge.amount_refunded += request.amount.minor
            return RefundResult(
                status="succeeded",
                reference=done.reference,
                amount=Money(done.amount, done.currency),
            )

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, now: datetime) -> GatewayEvent:
        raise WebhookRejected("the sandbox sends no webhooks: its answers are immediate")

    def _fault(self) -> str | None:
        if self._timeout_rate and self._rng.random() < self._timeout_rate:
            return self._rng.choice(("before", "after"))
        return None

    def _book(self, row: SandboxCharge) -> SandboxCharge:
        """Record the charge once; a repeat with the same key gets the first one back."""
        key = (row.account_id, row.idempotency_key)
        with Session(self._engine, expire_on_commit=False) as session:
            try:
                with session.begin():
                    existing = session.get(SandboxCharge, key)
                    if existing is not None:
                        return existing
                    session.add(row)
            except IntegrityError:  # the same key, booked at the same moment elsewhere
                found = session.get(SandboxCharge, key)
                if found is None:
                    raise
                return found
            return row

    @staticmethod
    def _result(row: SandboxCharge, message: str | None) -> ChargeResult:
        status: ChargeStatus = "failed"
        if row.status in ("succeeded", "requires_action"):
            status = "succeeded" if row.status == "succeeded" else "requires_action"
        return ChargeResult(
            status=status,
            reference=row.reference,
            amount=Money(row.amount, row.currency),
            failure_code=row.failure_code,
            failure_message=message or _MESSAGES.get(row.failure_code or ""),
        )
