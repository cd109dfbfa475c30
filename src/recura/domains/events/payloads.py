"""What each event carries: one model per event type, the public webhook contract.

An event's `data` is one of these, as JSON; producers build the model and
`events.record` derives the type from it, and readers (the email plan, outbound webhooks)
parse the stored JSON back with `parse` and read attributes. The same models are the
`webhooks` section of the OpenAPI document, each in the envelope webhooks deliver.

Amounts are integers in the currency's minor units next to a `currency` field, as the
events carried them before the models existed; instants are RFC 3339. A field with a
default is sent only when it applies (a subscription event's `change`, say).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from recura.core.lifecycle import Status


class EventType(StrEnum):
    """Every event Recura records and sends; members are plain strings."""

    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_EMAIL_CHANGE_REQUESTED = "customer.email_change_requested"
    CUSTOMER_VAT_ID_VALIDATED = "customer.vat_id.validated"
    CUSTOMER_VAT_ID_INVALID = "customer.vat_id.invalid"
    SUBSCRIPTION_CREATED = "subscription.created"
    SUBSCRIPTION_UPDATED = "subscription.updated"
    SUBSCRIPTION_TRIAL_WILL_END = "subscription.trial_will_end"
    SUBSCRIPTION_RENEWED = "subscription.renewed"
    SUBSCRIPTION_PAUSED = "subscription.paused"
    SUBSCRIPTION_RESUMED = "subscription.resumed"
    SUBSCRIPTION_CANCELED = "subscription.canceled"
    SUBSCRIPTION_PAST_DUE = "subscription.past_due"
    INVOICE_CREATED = "invoice.created"
    INVOICE_FINALIZED = "invoice.finalized"
    INVOICE_PAID = "invoice.paid"
    INVOICE_REOPENED = "invoice.reopened"
    INVOICE_VOIDED = "invoice.voided"
    INVOICE_MARKED_UNCOLLECTIBLE = "invoice.marked_uncollectible"
    INVOICE_PAYMENT_FAILED = "invoice.payment_failed"
    INVOICE_UPCOMING = "invoice.upcoming"
    CREDIT_NOTE_CREATED = "credit_note.created"
    PAYMENT_CREATED = "payment.created"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_UPDATED = "payment.updated"
    PAYMENT_REVERSED = "payment.reversed"
    REFUND_CREATED = "refund.created"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    DISPUTE_CREATED = "dispute.created"
    DISPUTE_UPDATED = "dispute.updated"
    DISPUTE_CLOSED = "dispute.closed"
    PAYMENT_METHOD_ATTACHED = "payment_method.attached"
    PAYMENT_METHOD_UPDATED = "payment_method.updated"
    PAYMENT_METHOD_DETACHED = "payment_method.detached"
    PAYMENT_METHOD_EXPIRING = "payment_method.expiring"
    BANK_STATEMENT_IMPORTED = "bank_statement.imported"
    ENTITLEMENTS_UPDATED = "entitlements.updated"
    PORTAL_SESSION_CREATED = "portal_session.created"
    SUPPORT_REQUEST_CREATED = "support_request.created"
    SUPPORT_REQUEST_REPLIED = "support_request.replied"
    SUPPORT_REQUEST_CLOSED = "support_request.closed"
    PARTNER_PERK_ASSIGNED = "partner_perk.assigned"
    PARTNER_PERK_POOL_LOW = "partner_perk.pool_low"
    ONBOARDING_STEP_COMPLETED = "onboarding_step.completed"
    ANNOUNCEMENT_PUBLISHED = "announcement.published"
    SUBSCRIPTION_CANCELLATION_FEEDBACK = "subscription.cancellation_feedback"
    RETENTION_OFFER_ACCEPTED = "retention_offer.accepted"
    RETENTION_OFFER_DECLINED = "retention_offer.declined"
    CHECKOUT_SESSION_COMPLETED = "checkout.session.completed"
    EINVOICE_UPLOADED = "einvoice.uploaded"
    EINVOICE_ACCEPTED = "einvoice.accepted"
    EINVOICE_REJECTED = "einvoice.rejected"
    ANAF_CONNECTION_EXPIRING = "anaf_connection.expiring"


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
AT = "2026-02-01T00:00:03Z"
CUS, SUB, INV = (
    "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "sub_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "inv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
)
PAY, PM, PLAN = (
    "pay_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "pm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
)


def _config(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [example]})


Minor = Annotated[int, Field(description="In the currency's minor units (bani, cents).")]


class SubscriptionChange(StrEnum):
    """What a `subscription.updated` (or `.past_due`) event changed."""

    ACTIVATED = "activated"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    PAYMENT_RECOVERED = "payment_recovered"
    TRIAL_ENDED = "trial_ended"
    MARKED_UNPAID = "marked_unpaid"
    CANCEL_SCHEDULED = "cancel_scheduled"
    REACTIVATED = "reactivated"
    CHANGE_SCHEDULED = "change_scheduled"
    CHANGE_CLEARED = "change_cleared"
    CHANGE_APPLIED = "change_applied"
    TERMS_CHANGED = "terms_changed"
    TERMS = "terms"


class EndReason(StrEnum):
    """Why a subscription ended (`subscription.canceled`)."""

    REQUESTED = "requested"
    TRIAL_END = "trial_end"
    PERIOD_END = "period_end"
    RETRIES_EXHAUSTED = "retries_exhausted"


class EventPayload(BaseModel):
    """An event's `data`; `id` is the object the event is about."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: ClassVar[EventType]

    id: str

    def json_data(self) -> dict[str, Any]:
        """As stored and sent: JSON-ready, the fields that do not apply left out."""
        return self.model_dump(mode="json", exclude_unset=True)


class CustomerData(EventPayload):
    model_config = _config({"id": CUS, "default_payment_method": PM})
    default_payment_method: str | None


class SubscriptionFields(BaseModel):
    """A subscription's lifecycle state as its events carry it, without its ids: a
    renewal batch builds it once for every subscription in one state."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Status
    previous_status: Status | None
    current_period_start: datetime
    current_period_end: datetime
    trial_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    ended_at: datetime | None
    paused_at: datetime | None
    resume_at: datetime | None
    pending_change: str | None
    pending_change_at: datetime | None
    change: SubscriptionChange | None = None
    reason: EndReason | None = None
    cancel_at: datetime | None = None
    replaced: str | None = None
    cleared: str | None = None
    skipped_periods: int | None = None

    def json_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


MRR_TERMS: dict[str, Any] = {
    "price": 4900,
    "interval": "month",
    "interval_count": 1,
    "discounts": [{"amount": 980, "forever": False}],
    "metered": None,
}


class MrrDiscount(BaseModel):
    """A discount taken off each period, before tax, and whether it lasts forever."""

    model_config = _config({"amount": 980, "forever": False})

    amount: Minor
    forever: bool


class MrrTerms(BaseModel):
    """What the subscription bills per period, before tax, that `mrr` is computed from:
    the recurring price (plan and add-ons) every `interval_count` `interval`s, the
    discounts on it, and the usage charged for the last period that ended (null: none
    measured yet). `mrr` is `price` per month; the account's metric settings choose which
    discounts and whether the usage count in its revenue metrics."""

    model_config = _config(MRR_TERMS)

    price: Minor
    interval: Literal["day", "week", "month", "year"]
    interval_count: int = Field(ge=1)
    discounts: list[MrrDiscount] = Field(default_factory=list)
    metered: Minor | None = None


class SubscriptionData(SubscriptionFields, EventPayload):
    model_config = _config(
        {
            "id": SUB,
            "status": "active",
            "previous_status": "active",
            "current_period_start": AT,
            "current_period_end": "2026-03-01T00:00:03Z",
            "trial_end": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "ended_at": None,
            "paused_at": None,
            "resume_at": None,
            "pending_change": None,
            "pending_change_at": None,
            "customer": CUS,
            "plan": PLAN,
            "mrr": 4900,
            "mrr_terms": MRR_TERMS,
        }
    )
    customer: str
    plan: str
    mrr: Minor
    mrr_terms: MrrTerms | None = Field(
        default=None,
        description="What `mrr` is computed from; null while the subscription earns none "
        "(a trial, paused, ended). Left out of events recorded before it was added.",
    )


class InvoiceData(EventPayload):
    model_config = _config(
        {
            "id": INV,
            "number": "RCR-000042",
            "status": "paid",
            "reason": "subscription_cycle",
            "customer": CUS,
            "subscription": SUB,
            "currency": "RON",
            "total": 5929,
            "amount_due": 5929,
            "amount_paid": 5929,
        }
    )
    number: str | None
    status: str
    reason: str
    customer: str
    subscription: str | None
    currency: Currency
    total: Minor
    amount_due: Minor
    amount_paid: Minor


class InvoicePaymentFailedData(InvoiceData):
    model_config = _config(
        {
            "id": INV,
            "number": "RCR-000042",
            "status": "open",
            "reason": "subscription_cycle",
            "customer": CUS,
            "subscription": SUB,
            "currency": "RON",
            "total": 5929,
            "amount_due": 5929,
            "amount_paid": 0,
            "failure_code": "insufficient_funds",
            "attempt_count": 1,
            "next_payment_attempt": "2026-02-04T00:00:03Z",
        }
    )
    failure_code: str
    attempt_count: int
    next_payment_attempt: datetime | None


class UpcomingInvoiceData(EventPayload):
    """`id` and `subscription` are the subscription about to renew."""

    model_config = _config(
        {
            "id": SUB,
            "subscription": SUB,
            "customer": CUS,
            "plan": PLAN,
            "renews_at": "2027-02-01T00:00:00Z",
            "amount": 119790,
            "currency": "RON",
        }
    )

    subscription: str
    customer: str
    plan: str
    renews_at: datetime
    amount: Minor
    currency: Currency


class CreditNoteData(EventPayload):
    model_config = _config(
        {
            "id": "cn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "number": "RCR-CN-000003",
            "invoice": INV,
            "customer": CUS,
            "currency": "RON",
            "total": 2965,
            "applied_to_invoice": 0,
            "credited_to_balance": 0,
            "refunded": 2965,
            "reason": "product_unsatisfactory",
        }
    )
    number: str
    invoice: str
    customer: str
    currency: Currency
    total: Minor
    applied_to_invoice: Minor
    credited_to_balance: Minor
    refunded: Minor
    reason: str


class PaymentData(EventPayload):
    model_config = _config(
        {
            "id": PAY,
            "invoice": INV,
            "customer": CUS,
            "payment_method": PM,
            "gateway": "stripe",
            "attempt": 1,
            "amount": 5929,
            "currency": "RON",
            "status": "succeeded",
            "failure_code": None,
            "amount_refunded": 0,
        }
    )
    invoice: str
    customer: str
    payment_method: str | None
    gateway: str
    attempt: int | None
    amount: Minor
    currency: Currency
    status: str
    failure_code: str | None
    amount_refunded: Minor


class RefundData(EventPayload):
    model_config = _config(
        {
            "id": "re_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "payment": PAY,
            "invoice": INV,
            "credit_note": "cn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "amount": 2000,
            "currency": "RON",
            "status": "succeeded",
            "reason": "goodwill",
        }
    )
    payment: str
    invoice: str
    credit_note: str | None
    amount: Minor
    currency: Currency
    status: str
    reason: str | None


class DisputeData(EventPayload):
    model_config = _config(
        {
            "id": "dp_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "payment": PAY,
            "gateway": "stripe",
            "reference": "du_1Q0PsIJvEtkwdCNY0uC4cn8Q",
            "amount": 5929,
            "currency": "RON",
            "status": "needs_response",
            "reason": "fraudulent",
            "funds_withdrawn_at": AT,
            "funds_reinstated_at": None,
        }
    )
    payment: str
    gateway: str
    reference: str
    amount: Minor
    currency: Currency
    status: str
    reason: str | None
    funds_withdrawn_at: datetime | None
    funds_reinstated_at: datetime | None


class PaymentMethodData(EventPayload):
    model_config = _config(
        {
            "id": PM,
            "customer": CUS,
            "gateway": "stripe",
            "kind": "card",
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2028,
            "email": None,
            "status": "active",
        }
    )
    customer: str
    gateway: str
    kind: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    email: str | None
    status: str


class BankStatementData(EventPayload):
    model_config = _config(
        {
            "id": "bst_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "statement_id": "STMT-2026-02-01",
            "account_number": "RO49AAAA1B31007593840000",
            "entry_count": 12,
            "matched_count": 11,
        }
    )
    statement_id: str
    account_number: str
    entry_count: int
    matched_count: int


class BooleanGrant(BaseModel):
    model_config = _config(
        {
            "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "code": "sso",
            "kind": "boolean",
            "value": True,
        }
    )
    feature: str
    code: str
    kind: Literal["boolean"]
    value: bool


class LimitGrant(BaseModel):
    model_config = _config(
        {
            "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3B",
            "code": "seats",
            "kind": "limit",
            "limit": None,
        }
    )
    feature: str
    code: str
    kind: Literal["limit"]
    limit: int | None = Field(description="null: unlimited.")


class MeteredGrant(BaseModel):
    model_config = _config(
        {
            "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3C",
            "code": "api_calls",
            "kind": "metered",
            "billable_metric": "bm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "limit": 10000,
        }
    )
    feature: str
    code: str
    kind: Literal["metered"]
    billable_metric: str | None
    limit: int | None = Field(description="null: unlimited.")


Grant = Annotated[BooleanGrant | LimitGrant | MeteredGrant, Field(discriminator="kind")]


class EntitlementsData(EventPayload):
    """`id` and `customer` are the customer; usage figures are not part of it."""

    model_config = _config(
        {
            "id": CUS,
            "object": "entitlements",
            "customer": CUS,
            "features": [
                {
                    "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
                    "code": "sso",
                    "kind": "boolean",
                    "value": True,
                },
                {
                    "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3B",
                    "code": "seats",
                    "kind": "limit",
                    "limit": 10,
                },
            ],
        }
    )

    object: Literal["entitlements"] = "entitlements"
    customer: str
    features: list[Grant]


SupportAuthor = Literal["customer", "merchant"]
SR = "sr_01JD3Q4W5E6R7T8Y9U0I1O2P3A"
_SUPPORT_MESSAGE = {
    "id": "srm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "author": "customer",
    "body": "Am fost taxat de două ori luna aceasta. Puteți verifica?",
    "created_at": AT,
}
_SUPPORT_REQUEST = {
    "id": SR,
    "customer": CUS,
    "category": "billing",
    "subject": "Plată dublă în februarie",
    "status": "open",
    "invoice": INV,
    "subscription": None,
    "first_response_at": None,
    "closed_at": None,
}


class SupportMessageData(BaseModel):
    """One message of a support request's thread."""

    model_config = _config(_SUPPORT_MESSAGE)

    id: str
    author: SupportAuthor
    body: str
    created_at: datetime


class SupportRequestData(EventPayload):
    """A subscriber's support request: `status` is `open` (waiting for the merchant),
    `answered` (the merchant wrote last) or `closed`."""

    model_config = _config(_SUPPORT_REQUEST)
    customer: str
    category: str
    subject: str
    status: str
    invoice: str | None
    subscription: str | None
    first_response_at: datetime | None
    closed_at: datetime | None


class SupportRequestMessageData(SupportRequestData):
    """A support request and the message that opened it."""

    model_config = _config({**_SUPPORT_REQUEST, "message": _SUPPORT_MESSAGE})
    message: SupportMessageData


class SupportRequestRepliedData(SupportRequestMessageData):
    """A support request and the reply just written, by the subscriber or the merchant."""

    model_config = _config(
        {
            **_SUPPORT_REQUEST,
            "status": "answered",
            "first_response_at": AT,
            "message": {**_SUPPORT_MESSAGE, "author": "merchant", "body": "Am rambursat-o azi."},
            "replied_by": "merchant",
        }
    )
    replied_by: SupportAuthor


class SupportRequestClosedData(SupportRequestData):
    model_config = _config(
        {**_SUPPORT_REQUEST, "status": "closed", "closed_at": AT, "closed_by": "customer"}
    )
    closed_by: SupportAuthor


class PerkAssignedData(EventPayload):
    """`id` is the voucher: its code is the customer's for good."""

    model_config = _config(
        {
            "id": "pvc_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "object": "perk_voucher",
            "perk": "perk_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "customer": CUS,
            "subscription": SUB,
            "code": "SPOT-7KQ2-9XHF",
            "assigned_at": AT,
        }
    )

    object: Literal["perk_voucher"] = "perk_voucher"
    perk: str
    customer: str
    subscription: str | None = Field(description="The subscription that granted it.")
    code: str
    assigned_at: datetime


class PerkPoolLowData(EventPayload):
    """`id` is the perk whose pool of codes went down to its threshold."""

    model_config = _config(
        {
            "id": "perk_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "object": "partner_perk",
            "name": "3 months of Spotify Premium",
            "partner_name": "Spotify",
            "available": 25,
            "low_stock_threshold": 25,
            "waiting": 0,
        }
    )

    object: Literal["partner_perk"] = "partner_perk"
    name: str
    partner_name: str
    available: int = Field(description="Free codes left.")
    low_stock_threshold: int
    waiting: int = Field(description="Subscribers granted the perk still without a code.")


class OnboardingStepCompletionData(EventPayload):
    """`id` is the completion; a step is completed once per customer."""

    model_config = _config(
        {
            "id": "obc_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "step": "obs_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "code": "connect-bank",
            "customer": CUS,
            "completed_by": "subscriber",
            "completed_at": AT,
        }
    )

    step: str
    code: str
    customer: str
    completed_by: Literal["subscriber", "merchant"]
    completed_at: datetime


class AnnouncementData(EventPayload):
    model_config = _config(
        {
            "id": "ann_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "languages": ["en", "ro"],
            "products": [],
            "plans": [PLAN],
            "statuses": ["trialing"],
            "email": True,
            "published_at": AT,
            "ends_at": None,
        }
    )

    languages: list[str] = Field(description="The languages it is written in.")
    products: list[str]
    plans: list[str]
    statuses: list[Status]
    email: bool = Field(description="Whether the targeted customers are emailed.")
    published_at: datetime
    ends_at: datetime | None


class RetentionOfferTerms(BaseModel):
    """A retention offer as the subscriber was shown it, with what it means in money: the
    next period's invoice total as it stands (`regular_amount`) and with the offer
    (`offer_amount`), tax included. The fields of its kind are set, the others left out."""

    model_config = _config(
        {
            "kind": "coupon",
            "currency": "RON",
            "regular_amount": 5929,
            "offer_amount": 2965,
            "coupon": "cpn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "percent_off": 50.0,
            "periods": 3,
        }
    )

    kind: Literal["coupon", "pause", "plan"]
    currency: Currency
    regular_amount: Minor
    offer_amount: Minor
    coupon: str | None = None
    percent_off: float | None = None
    amount_off: Minor | None = None
    periods: int | None = Field(
        default=None, description="Coupon: how many invoices it discounts; null: every one."
    )
    months: int | None = Field(default=None, description="Pause: for how many months.")
    resume_at: datetime | None = None
    credit: Minor | None = Field(
        default=None, description="Pause: the unused paid time credited to the balance."
    )
    plan: str | None = Field(default=None, description="Plan: the cheaper plan offered.")
    effective_at: datetime | None = Field(
        default=None, description="Plan: when the cheaper plan takes over (the period end)."
    )

    def json_data(self) -> dict[str, Any]:
        """As stored and sent: JSON-ready, the fields of other kinds left out."""
        return self.model_dump(mode="json", exclude_unset=True)


class CancellationFeedbackData(EventPayload):
    """`id` is the cancellation flow (`cfb_…`): the reason given, the offer shown and what
    came of it."""

    model_config = _config(
        {
            "id": "cfb_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "subscription": SUB,
            "customer": CUS,
            "plan": PLAN,
            "reason": "too_expensive",
            "reason_text": "Too much for a team of two.",
            "offer": {
                "kind": "coupon",
                "currency": "RON",
                "regular_amount": 5929,
                "offer_amount": 2965,
                "coupon": "cpn_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
                "percent_off": 50.0,
                "periods": 3,
            },
            "outcome": "declined",
            "canceled": True,
            "access_ends_at": "2026-03-01T00:00:03Z",
        }
    )

    subscription: str
    customer: str
    plan: str
    reason: str | None
    reason_text: str | None
    offer: RetentionOfferTerms | None
    outcome: Literal["pending", "accepted", "declined", "not_offered"]
    canceled: bool
    access_ends_at: datetime | None


class CheckoutSessionData(EventPayload):
    """`id` is the checkout session; `invoice` its subscription's first invoice, if one was
    issued (a trial or a free plan may bill nothing yet)."""

    model_config = _config(
        {
            "id": "cs_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "customer": CUS,
            "subscription": SUB,
            "plan": PLAN,
            "invoice": INV,
            "currency": "RON",
            "amount_total": 5929,
            "payment": "charged",
            "metadata": {"campaign": "spring"},
            "acquisition": {"channel": "pricing_page", "utm_source": "newsletter"},
        }
    )
    customer: str
    subscription: str
    plan: str
    invoice: str | None
    currency: Currency
    amount_total: Minor
    payment: Literal["charged", "bank_transfer", "not_required"] = Field(
        description="How the first invoice is paid: charged to the payment method given, "
        "sent for payment by bank transfer, or nothing to pay now."
    )
    metadata: dict[str, str]
    acquisition: dict[str, str]


# One model per event type: the class is the type (`events.record` reads it).


class CustomerUpdated(CustomerData):
    type = EventType.CUSTOMER_UPDATED


class SubscriptionCreated(SubscriptionData):
    type = EventType.SUBSCRIPTION_CREATED


class SubscriptionUpdated(SubscriptionData):
    type = EventType.SUBSCRIPTION_UPDATED


class SubscriptionTrialWillEnd(SubscriptionData):
    type = EventType.SUBSCRIPTION_TRIAL_WILL_END


class SubscriptionRenewed(SubscriptionData):
    type = EventType.SUBSCRIPTION_RENEWED


class SubscriptionPaused(SubscriptionData):
    type = EventType.SUBSCRIPTION_PAUSED


class SubscriptionResumed(SubscriptionData):
    type = EventType.SUBSCRIPTION_RESUMED


class SubscriptionCanceled(SubscriptionData):
    type = EventType.SUBSCRIPTION_CANCELED


class SubscriptionPastDue(SubscriptionData):
    type = EventType.SUBSCRIPTION_PAST_DUE


class InvoiceCreated(InvoiceData):
    type = EventType.INVOICE_CREATED


class InvoiceFinalized(InvoiceData):
    type = EventType.INVOICE_FINALIZED


class InvoicePaid(InvoiceData):
    type = EventType.INVOICE_PAID


class InvoiceReopened(InvoiceData):
    type = EventType.INVOICE_REOPENED


class InvoiceVoided(InvoiceData):
    type = EventType.INVOICE_VOIDED


class InvoiceMarkedUncollectible(InvoiceData):
    type = EventType.INVOICE_MARKED_UNCOLLECTIBLE


class InvoicePaymentFailed(InvoicePaymentFailedData):
    type = EventType.INVOICE_PAYMENT_FAILED


class InvoiceUpcoming(UpcomingInvoiceData):
    type = EventType.INVOICE_UPCOMING


class CreditNoteCreated(CreditNoteData):
    type = EventType.CREDIT_NOTE_CREATED


class PaymentCreated(PaymentData):
    type = EventType.PAYMENT_CREATED


class PaymentSucceeded(PaymentData):
    type = EventType.PAYMENT_SUCCEEDED


class PaymentFailed(PaymentData):
    type = EventType.PAYMENT_FAILED


class PaymentUpdated(PaymentData):
    type = EventType.PAYMENT_UPDATED


class PaymentReversed(PaymentData):
    type = EventType.PAYMENT_REVERSED


class RefundCreated(RefundData):
    type = EventType.REFUND_CREATED


class RefundSucceeded(RefundData):
    type = EventType.REFUND_SUCCEEDED


class RefundFailed(RefundData):
    type = EventType.REFUND_FAILED


class DisputeCreated(DisputeData):
    type = EventType.DISPUTE_CREATED


class DisputeUpdated(DisputeData):
    type = EventType.DISPUTE_UPDATED


class DisputeClosed(DisputeData):
    type = EventType.DISPUTE_CLOSED


class PaymentMethodAttached(PaymentMethodData):
    type = EventType.PAYMENT_METHOD_ATTACHED


class PaymentMethodUpdated(PaymentMethodData):
    type = EventType.PAYMENT_METHOD_UPDATED


class PaymentMethodDetached(PaymentMethodData):
    type = EventType.PAYMENT_METHOD_DETACHED


class PaymentMethodExpiring(PaymentMethodData):
    type = EventType.PAYMENT_METHOD_EXPIRING


class BankStatementImported(BankStatementData):
    type = EventType.BANK_STATEMENT_IMPORTED


class EntitlementsUpdated(EntitlementsData):
    type = EventType.ENTITLEMENTS_UPDATED


class PortalSessionData(EventPayload):
    """A way into the portal was made: a sign-in link the subscriber asked for by email
    (`origin` email), or a session the merchant's API call made (`origin` api)."""

    model_config = _config(
        {
            "id": "pss_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "customer": CUS,
            "origin": "email",
            "expires_at": AT,
        }
    )
    customer: str
    origin: Literal["email", "api"]
    expires_at: datetime = Field(description="The link works once, until then.")


class PortalSessionCreated(PortalSessionData):
    type = EventType.PORTAL_SESSION_CREATED


class EmailChangeData(EventPayload):
    """A subscriber asked, in the portal, to change their email address: a confirmation
    link goes to the new address, and the address changes only once it is opened."""

    model_config = _config(
        {
            "id": "ecr_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "customer": CUS,
            "email": "ana@norditech.ro",
            "expires_at": AT,
        }
    )
    customer: str
    email: str = Field(description="The new address, not in use until confirmed.")
    expires_at: datetime = Field(description="The confirmation link works once, until then.")


class CustomerEmailChangeRequested(EmailChangeData):
    type = EventType.CUSTOMER_EMAIL_CHANGE_REQUESTED


class VatIdCheckData(EventPayload):
    """VIES answered on the customer's VAT number (`id` is the customer): sent when the
    answer changes what Recura knew, so a renewal's VAT changes with it (reverse charge for
    a valid EU number; VAT charged for an invalid one)."""

    model_config = _config(
        {
            "id": CUS,
            "vat_id": "DE136695976",
            "vat_check": "vck_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "consultation_number": "WAPIAAAAX0000001",
            "checked_at": AT,
            "name": "Muster GmbH",
            "address": "Musterstr. 1, 10115 Berlin",
        }
    )
    vat_id: str
    vat_check: str = Field(description="The check kept as proof.")
    consultation_number: str | None = Field(
        description="VIES's consultation number (requestIdentifier), when the account's own "
        "VAT number was sent as the requester."
    )
    checked_at: datetime
    name: str | None = Field(default=None, description="The name VIES returned.")
    address: str | None = Field(default=None, description="The address VIES returned.")


class CustomerVatIdValidated(VatIdCheckData):
    type = EventType.CUSTOMER_VAT_ID_VALIDATED


class CustomerVatIdInvalid(VatIdCheckData):
    type = EventType.CUSTOMER_VAT_ID_INVALID


class SupportRequestCreated(SupportRequestMessageData):
    type = EventType.SUPPORT_REQUEST_CREATED


class SupportRequestReplied(SupportRequestRepliedData):
    type = EventType.SUPPORT_REQUEST_REPLIED


class SupportRequestClosed(SupportRequestClosedData):
    type = EventType.SUPPORT_REQUEST_CLOSED


class PartnerPerkAssigned(PerkAssignedData):
    type = EventType.PARTNER_PERK_ASSIGNED


class PartnerPerkPoolLow(PerkPoolLowData):
    type = EventType.PARTNER_PERK_POOL_LOW


class OnboardingStepCompleted(OnboardingStepCompletionData):
    type = EventType.ONBOARDING_STEP_COMPLETED


class AnnouncementPublished(AnnouncementData):
    type = EventType.ANNOUNCEMENT_PUBLISHED


class SubscriptionCancellationFeedback(CancellationFeedbackData):
    """A cancellation flow ended in a cancellation: why, and the offer declined if any."""

    type = EventType.SUBSCRIPTION_CANCELLATION_FEEDBACK


class RetentionOfferAccepted(CancellationFeedbackData):
    type = EventType.RETENTION_OFFER_ACCEPTED


class RetentionOfferDeclined(CancellationFeedbackData):
    type = EventType.RETENTION_OFFER_DECLINED


class CheckoutSessionCompleted(CheckoutSessionData):
    type = EventType.CHECKOUT_SESSION_COMPLETED


class AnafMessage(BaseModel):
    """One of ANAF's messages on a document: the rule it names, when it names one."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"rule": "BR-RO-010", "message": "[BR-RO-010] ..."}]},
    )
    rule: str
    message: str


class EInvoiceData(EventPayload):
    """An e-invoice's way through ANAF's e-Factura."""

    model_config = _config(
        {
            "id": "einv_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "invoice": INV,
            "credit_note": None,
            "type_code": "380",
            "state": "rejected",
            "upload_index": "5001234567",
            "deadline": "2026-02-06",
            "messages": [{"rule": "BR-RO-010", "message": "[BR-RO-010] ..."}],
        }
    )
    invoice: str | None
    credit_note: str | None
    type_code: str
    state: Literal["uploaded", "accepted", "rejected"]
    upload_index: str | None
    deadline: date | None
    messages: list[AnafMessage] = Field(default_factory=list)


class EInvoiceUploaded(EInvoiceData):
    type = EventType.EINVOICE_UPLOADED


class EInvoiceAccepted(EInvoiceData):
    type = EventType.EINVOICE_ACCEPTED


class EInvoiceRejected(EInvoiceData):
    type = EventType.EINVOICE_REJECTED


class AnafConnectionExpiring(EventPayload):
    """ANAF's refresh token ends soon: after `refresh_expires_at` nothing is uploaded
    until someone with the company's certificate connects again."""

    type = EventType.ANAF_CONNECTION_EXPIRING
    model_config = _config(
        {"id": "anafc_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "cif": "12345678", "refresh_expires_at": AT}
    )
    cif: str
    refresh_expires_at: datetime


P = TypeVar("P", bound=EventPayload)


def _models(base: type[EventPayload]) -> list[type[EventPayload]]:
    return [m for sub in base.__subclasses__() for m in (sub, *_models(sub))]


# Event type -> its model.
PAYLOADS: dict[EventType, type[EventPayload]] = {
    m.type: m for m in _models(EventPayload) if "type" in m.__dict__
}


def payload_class(kind: str) -> type[EventPayload]:
    """The model of event type `kind`; a name Recura does not emit raises ValueError."""

    return PAYLOADS[EventType(kind)]


def parse(kind: str, object_id: str, data: dict[str, Any], shape: type[P]) -> P:
    """A stored event's data as its model, which must be a `shape`. `id` comes from the
    event's object where older events did not store it in their data."""
    found = payload_class(kind).model_validate({**data, "id": object_id})
    if not isinstance(found, shape):
        raise TypeError(f"{kind} carries {type(found).__name__}, not {shape.__name__}")
    return found


def _example(model: type[BaseModel]) -> dict[str, Any] | None:
    extra = model.model_config.get("json_schema_extra")
    found = extra["examples"][0] if isinstance(extra, dict) else None  # type: ignore[index]
    return found if isinstance(found, dict) else None


def _envelope(kind: EventType, data: type[EventPayload]) -> type[BaseModel]:
    example = _example(data)
    return create_model(
        f"{PAYLOADS[kind].__name__}Event",
        __config__=ConfigDict(
            extra="forbid",
            json_schema_extra={
                "examples": [{"type": kind.value, "timestamp": AT, "data": example}]
            },
        ),
        __doc__=f"The body of the `{kind}` webhook (Standard Webhooks; the event id is the "
        "`webhook-id` header).",
        type=(Literal[kind.value], ...),  # type: ignore[arg-type]
        timestamp=(datetime, Field(description="When it happened, RFC 3339.")),
        data=(data, ...),
    )


# What a webhook endpoint receives for each event type.
ENVELOPES: dict[EventType, type[BaseModel]] = {
    kind: _envelope(kind, model) for kind, model in PAYLOADS.items()
}


def _in_batch(kind: EventType, envelope: type[BaseModel]) -> type[BaseModel]:
    example = {"id": "evt_01JD3Q4W5E6R7T8Y9U0I1O2P3A", **(_example(envelope) or {})}
    return create_model(
        f"{PAYLOADS[kind].__name__}InBatch",
        __base__=envelope,
        __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [example]}),
        __doc__=f"A `{kind}` event in a batch: as sent alone, with its id.",
        id=(str, Field(description="The event's id: deduplicate on it.")),
    )


_BATCHED = tuple(_in_batch(kind, envelope) for kind, envelope in ENVELOPES.items())
# One list item is any event, told apart by its type.
_AnyBatched: Any = Annotated[Union[_BATCHED], Field(discriminator="type")]  # noqa: UP007 (made of a tuple)

# What an endpoint taking batches (`batch_size` over 1) receives: up to that many events.
BATCH_ENVELOPE: type[BaseModel] = create_model(
    "WebhookBatch",
    __config__=ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"type": "batch", "timestamp": AT, "data": [_example(m) for m in _BATCHED[:2]]}
            ]
        },
    ),
    __doc__="The body of a batch of events (Standard Webhooks; the batch's id is the "
    "`webhook-id` header, each event's its `id`).",
    type=(Literal["batch"], ...),  # type: ignore[arg-type,maybe-unrecognized-str-typeform]
    timestamp=(datetime, Field(description="When the batch was made, RFC 3339.")),
    data=(list[_AnyBatched], Field(min_length=1, max_length=100)),
)
