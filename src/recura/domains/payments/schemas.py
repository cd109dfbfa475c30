from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from recura.db.models import (
    BankStatement,
    BankTransaction,
    Dispute,
    GatewayConnection,
    Payment,
    PaymentMethod,
    Refund,
)
from recura.domains.common.fields import MAX_MINOR, MoneyOut, Schema, example, example_in
from recura.domains.invoices.schemas import CreditReason
from recura.gateways.base import SetupSession

GatewayName = Literal["sandbox", "stripe", "paypal"]


class SetupRequest(Schema):
    model_config = example_in({"gateway": "stripe", "return_url": "https://app.example.ro/billing"})

    gateway: GatewayName | None = None
    return_url: str | None = Field(default=None, max_length=2000)


class SetupOut(BaseModel):
    model_config = example(
        {
            "object": "payment_method_setup",
            "gateway": "stripe",
            "client_secret": "seti_1Q0PsIJvEtkwdCNY_secret_QsX1",
            "approve_url": None,
            "reference": "seti_1Q0PsIJvEtkwdCNY",
            "test_tokens": [],
        }
    )

    object: Literal["payment_method_setup"] = "payment_method_setup"
    gateway: str
    client_secret: str | None
    approve_url: str | None
    reference: str | None
    test_tokens: list[str]

    @classmethod
    def of(cls, gateway: str, setup: SetupSession) -> SetupOut:
        return cls(
            gateway=gateway,
            client_secret=setup.client_secret,
            approve_url=setup.approve_url,
            reference=setup.reference,
            test_tokens=list(setup.test_tokens),
        )


class AttachRequest(Schema):
    model_config = example_in(
        {"gateway": "sandbox", "token": "tok_sandbox_visa"},
        {"gateway": "stripe", "token": "pm_1Q0PsIJvEtkwdCNYMSaVuRz6", "default": True},
    )

    gateway: GatewayName | None = None
    # The processor's token from its hosted flow: a Stripe PaymentMethod or SetupIntent id, a
    # PayPal setup token the payer approved, a sandbox test token.
    token: str = Field(min_length=1, max_length=255)
    default: bool | None = None


class PaymentMethodOut(BaseModel):
    model_config = example(
        {
            "object": "payment_method",
            "id": "pm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "gateway": "stripe",
            "kind": "card",
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2028,
            "email": None,
            "status": "active",
            "default": True,
            "livemode": False,
            "created_at": "2026-02-01T10:00:00Z",
        }
    )

    object: Literal["payment_method"] = "payment_method"
    id: str
    customer: str
    gateway: str
    kind: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    email: str | None
    status: str
    default: bool
    livemode: bool
    created_at: datetime

    @classmethod
    def of(cls, method: PaymentMethod, default_id: str | None) -> PaymentMethodOut:
        return cls(
            id=method.id,
            customer=method.customer_id,
            gateway=method.gateway,
            kind=method.kind,
            brand=method.brand,
            last4=method.last4,
            exp_month=method.exp_month,
            exp_year=method.exp_year,
            email=method.email,
            status=method.status,
            default=method.id == default_id,
            livemode=method.livemode,
            created_at=method.created_at,
        )


class PaymentOut(BaseModel):
    model_config = example(
        {
            "object": "payment",
            "id": "pay_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "payment_method": "pm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "gateway": "stripe",
            "attempt": 2,
            "amount": {"amount": 5929, "currency": "RON"},
            "amount_refunded": {"amount": 0, "currency": "RON"},
            "status": "failed",
            "failure_code": "insufficient_funds",
            "failure_message": "Your card has insufficient funds.",
            "reference": "pi_3Q0PsIJvEtkwdCNY0uC4cn8Q",
            "livemode": False,
            "created_at": "2026-02-01T10:00:00Z",
            "settled_at": "2026-02-01T10:00:01Z",
        }
    )

    object: Literal["payment"] = "payment"
    id: str
    invoice: str
    customer: str
    payment_method: str | None
    gateway: str
    attempt: int | None
    amount: MoneyOut
    amount_refunded: MoneyOut
    status: str
    failure_code: str | None
    failure_message: str | None
    reference: str | None
    livemode: bool
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        money = {"currency": payment.currency}
        return cls(
            id=payment.id,
            invoice=payment.invoice_id,
            customer=payment.customer_id,
            payment_method=payment.payment_method_id,
            gateway=payment.gateway,
            attempt=payment.attempt,
            amount=MoneyOut(amount=payment.amount, **money),
            amount_refunded=MoneyOut(amount=payment.amount_refunded, **money),
            status=payment.status,
            failure_code=payment.failure_code,
            failure_message=payment.failure_message,
            reference=payment.reference,
            livemode=payment.livemode,
            created_at=payment.created_at,
            settled_at=payment.settled_at,
        )


class PayRequest(Schema):
    model_config = example_in({}, {"paid_out_of_band": True})

    # True: record a payment made outside Recura (cash, a transfer seen elsewhere) instead of
    # charging the default payment method.
    paid_out_of_band: bool = False


class RefundCreate(Schema):
    model_config = example_in(
        {"payment": "pay_01JD3Q4W5E6R7T8Y9U0I1O2P3A"},
        {"payment": "pay_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "amount": 2000, "reason": "goodwill"},
    )

    payment: str = Field(max_length=40)
    # Minor units; what is left of the payment when left out.
    amount: int | None = Field(default=None, gt=0, le=MAX_MINOR)
    reason: CreditReason = "other"


class RefundOut(BaseModel):
    model_config = example(
        {
            "object": "refund",
            "id": "re_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "payment": "pay_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "credit_note": "cn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "amount": {"amount": 2000, "currency": "RON"},
            "status": "succeeded",
            "reason": "goodwill",
            "failure_message": None,
            "livemode": False,
            "created_at": "2026-02-03T10:00:00Z",
        }
    )

    object: Literal["refund"] = "refund"
    id: str
    payment: str
    invoice: str
    credit_note: str | None
    amount: MoneyOut
    status: str
    reason: str | None
    failure_message: str | None
    livemode: bool
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        return cls(
            id=refund.id,
            payment=refund.payment_id,
            invoice=refund.invoice_id,
            credit_note=refund.credit_note_id,
            amount=MoneyOut(amount=refund.amount, currency=refund.currency),
            status=refund.status,
            reason=refund.reason,
            failure_message=refund.failure_message,
            livemode=refund.livemode,
            created_at=refund.created_at,
        )


class BankStatementOut(BaseModel):
    model_config = example(
        {
            "object": "bank_statement",
            "id": "bst_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "statement_id": "STMT-2026-03-02",
            "account_number": "RO49AAAA1B31007593840000",
            "currency": "RON",
            "entry_count": 12,
            "matched_count": 11,
            "livemode": False,
            "created_at": "2026-03-02T08:00:00Z",
        }
    )

    object: Literal["bank_statement"] = "bank_statement"
    id: str
    statement_id: str
    account_number: str | None = Field(
        description="The statement's account as the bank wrote it: an IBAN or the bank's own "
        "number, without spaces."
    )
    currency: str | None
    entry_count: int
    matched_count: int
    livemode: bool
    created_at: datetime

    @classmethod
    def of(cls, row: BankStatement) -> BankStatementOut:
        return cls(
            id=row.id,
            statement_id=row.statement_id,
            account_number=row.account_number,
            currency=row.currency,
            entry_count=row.entry_count,
            matched_count=row.matched_count,
            livemode=row.livemode,
            created_at=row.created_at,
        )


class SkippedStatementOut(BaseModel):
    """A statement of the file left out: its account is not one of the merchant's."""

    model_config = example(
        {
            "statement_id": "STMT-2026-03-02-EUR",
            "account_number": "RO02AAAA1B31007593840001",
            "currency": "EUR",
            "entry_count": 3,
        }
    )

    statement_id: str
    account_number: str
    currency: str
    entry_count: int


class BankStatementImportOut(BaseModel):
    model_config = example(
        {
            "object": "list",
            "data": [],
            "has_more": False,
            "skipped": [
                {
                    "statement_id": "STMT-2026-03-02-EUR",
                    "account_number": "RO02AAAA1B31007593840001",
                    "currency": "EUR",
                    "entry_count": 3,
                }
            ],
        }
    )

    object: Literal["list"] = "list"
    data: list[BankStatementOut] = Field(
        description="The file's statements of the merchant's bank accounts, imported now or before."
    )
    has_more: bool = False
    skipped: list[SkippedStatementOut] = Field(
        description="Statements of accounts not registered under /v1/bank_accounts; with none "
        "registered, nothing is skipped."
    )


_ENTRY_STATUSES: dict[str, Literal["booked", "pending"]] = {"BOOK": "booked", "PDNG": "pending"}


class BankTransactionOut(BaseModel):
    model_config = example(
        {
            "object": "bank_transaction",
            "id": "btx_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "statement": "bst_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "booked_on": "2026-03-02",
            "amount": {"amount": 6050, "currency": "RON"},
            "references": ["RF712M7F3NHZJ6QH5RKM2B"],
            "remittance": "Factura NDT-000042 RF71 2M7F 3NHZ J6QH 5RKM 2B",
            "direction": "credit",
            "entry_status": "booked",
            "counterparty_name": "Ana Popescu",
            "counterparty_iban": "RO21INGB0000999901234567",
            "status": "matched",
            "reason": None,
            "applied": [{"invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "amount": 6050}],
            "to_balance": {"amount": 0, "currency": "RON"},
            "reversal_of": None,
            "livemode": False,
        }
    )

    object: Literal["bank_transaction"] = "bank_transaction"
    id: str
    statement: str
    booked_on: date
    amount: MoneyOut
    references: list[str]
    remittance: str
    direction: Literal["credit", "debit"] = Field(description="credit: money in; debit: money out.")
    entry_status: Literal["booked", "pending", "information"] = Field(
        description="As the bank reported the entry: booked (BOOK or no status), pending "
        "(PDNG), or information only (INFO, FUTR, a bank's own code); only booked credits "
        "pay invoices."
    )
    counterparty_name: str | None = Field(
        description="The other side: who paid a credit (Dbtr), who was paid by a debit (Cdtr)."
    )
    counterparty_iban: str | None
    status: str = Field(
        description="matched, partial, overpaid, unmatched, ignored (not a booked incoming "
        "transfer), reversed (the money went back) or reversal (the entry that took it back)."
    )
    reason: str | None
    applied: list[dict[str, Any]]
    to_balance: MoneyOut
    reversal_of: str | None = Field(description="A reversal's: the transaction it took back.")
    livemode: bool

    @classmethod
    def of(cls, row: BankTransaction) -> BankTransactionOut:
        return cls(
            id=row.id,
            statement=row.statement_id,
            booked_on=row.booked_on,
            amount=MoneyOut(amount=row.amount, currency=row.currency),
            references=row.references,
            remittance=row.remittance,
            direction="credit" if row.credit else "debit",
            entry_status=_ENTRY_STATUSES.get(row.entry_status, "information"),
            counterparty_name=row.counterparty_name,
            counterparty_iban=row.counterparty_iban,
            status=row.status,
            reason=row.reason,
            applied=[{"invoice": a["invoice"], "amount": a["amount"]} for a in row.applied],
            to_balance=MoneyOut(amount=row.to_balance, currency=row.currency),
            reversal_of=row.reversal_of,
            livemode=row.livemode,
        )


class ManualMatch(Schema):
    model_config = example_in({"invoice": "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A"})

    invoice: str = Field(max_length=40)


class StripeConnectionIn(Schema):
    model_config = example_in(
        {
            "gateway": "stripe",
            "api_key": "sk_test_51Q0PsIJvEtkwdCNYx",
            "webhook_secret": "whsec_5f8a1c2d3e4b",
            "publishable_key": "pk_test_51Q0PsIJvEtkwdCNYx",
        }
    )

    gateway: Literal["stripe"]
    api_key: str = Field(pattern=r"^(sk|rk)_(test|live)_[A-Za-z0-9_]+$", max_length=255)
    webhook_secret: str = Field(pattern=r"^whsec_[A-Za-z0-9_]+$", max_length=255)
    # For Stripe.js on the subscriber's card page; without it the page cannot take cards.
    publishable_key: str | None = Field(
        default=None, pattern=r"^pk_(test|live)_[A-Za-z0-9_]+$", max_length=255
    )


class PayPalConnectionIn(Schema):
    model_config = example_in(
        {
            "gateway": "paypal",
            "client_id": "AeHQ2nM0Tt3Ck1",
            "client_secret": "EJx9pQ2mLk7v",
            "webhook_id": "8PT597110X687430LKGECATA",
        }
    )

    gateway: Literal["paypal"]
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str = Field(min_length=1, max_length=255)
    webhook_id: str = Field(min_length=1, max_length=255)


class SandboxConnectionIn(Schema):
    model_config = example_in({"gateway": "sandbox", "timeout_rate": 0.1})

    gateway: Literal["sandbox"]
    # The share of charges that get no answer (half of them charged nonetheless): for trying
    # how collection and the reconciler cope.
    timeout_rate: float = Field(default=0, ge=0, le=1, strict=True)


ConnectionIn = Annotated[
    StripeConnectionIn | PayPalConnectionIn | SandboxConnectionIn, Field(discriminator="gateway")
]


class GatewayConnectionIn(RootModel[ConnectionIn]):
    """One processor's settings, told apart by `gateway`."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"gateway": "sandbox", "timeout_rate": 0}]}
    )


# What is never shown again once saved: only its first and last characters.
SECRET_SETTINGS = frozenset({"api_key", "webhook_secret", "client_secret"})


_KEY_PREFIX = re.compile(r"^(?:[a-z]{2,5}_){1,2}")  # sk_test_, rk_live_, whsec_


def masked(value: object) -> object:
    """A secret as shown again: its kind (the key's prefix) and its last four characters."""
    if not isinstance(value, str):
        return value
    if len(value) < 12:
        return "…"
    prefix = _KEY_PREFIX.match(value)
    return f"{prefix.group(0) if prefix else ''}…{value[-4:]}"


class GatewayConnectionOut(BaseModel):
    model_config = example(
        {
            "object": "gateway_connection",
            "id": "gwc_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "gateway": "stripe",
            "settings": {"api_key": "sk_test_…4242", "webhook_secret": "whsec_…Xy7Q"},
            "webhook_path": "/webhooks/stripe/gwc_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "livemode": False,
            "created_at": "2026-02-01T10:00:00Z",
            "updated_at": "2026-02-01T10:00:00Z",
        }
    )

    object: Literal["gateway_connection"] = "gateway_connection"
    id: str
    gateway: str
    settings: dict[str, Any]  # secrets masked
    # Where the processor sends its webhooks, below the server's public address.
    webhook_path: str | None
    livemode: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: GatewayConnection) -> GatewayConnectionOut:
        return cls(
            id=row.id,
            gateway=row.gateway,
            settings={
                k: masked(v) if k in SECRET_SETTINGS else v
                for k, v in row.config.items()
                if v is not None
            },
            webhook_path=None if row.gateway == "sandbox" else webhook_path(row),
            livemode=row.livemode,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def webhook_path(row: GatewayConnection) -> str:
    return f"/webhooks/{row.gateway}/{row.id}"


class DisputeOut(BaseModel):
    model_config = example(
        {
            "object": "dispute",
            "id": "dp_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "payment": "pay_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "gateway": "stripe",
            "reference": "du_1Q0PsIJvEtkwdCNY",
            "amount": {"amount": 5929, "currency": "RON"},
            "status": "needs_response",
            "reason": "fraudulent",
            "livemode": False,
            "created_at": "2026-02-01T10:00:00Z",
            "closed_at": None,
            "funds_withdrawn_at": "2026-02-01T10:00:00Z",
            "funds_reinstated_at": None,
        }
    )

    object: Literal["dispute"] = "dispute"
    id: str
    payment: str
    gateway: str
    reference: str
    amount: MoneyOut
    status: str  # needs_response | under_review | won | lost
    reason: str | None
    livemode: bool
    created_at: datetime
    closed_at: datetime | None
    # When the processor took the disputed amount from the merchant, and gave it back.
    funds_withdrawn_at: datetime | None
    funds_reinstated_at: datetime | None

    @classmethod
    def of(cls, row: Dispute) -> DisputeOut:
        return cls(
            id=row.id,
            payment=row.payment_id,
            gateway=row.gateway,
            reference=row.reference,
            amount=MoneyOut(amount=row.amount, currency=row.currency),
            status=row.status,
            reason=row.reason,
            livemode=row.livemode,
            created_at=row.created_at,
            closed_at=row.closed_at,
            funds_withdrawn_at=row.funds_withdrawn_at,
            funds_reinstated_at=row.funds_reinstated_at,
        )
