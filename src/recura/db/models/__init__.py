"""Every table, one module each; importing this package registers them all on Base.metadata."""

from recura.db.models.account import Account
from recura.db.models.account_logo import AccountLogo
from recura.db.models.acquisition_spend import AcquisitionSpend
from recura.db.models.add_on import AddOn
from recura.db.models.anaf_call import AnafCall
from recura.db.models.anaf_connection import AnafConnection
from recura.db.models.announcement import Announcement
from recura.db.models.api_key import ApiKey
from recura.db.models.audit_entry import AuditEntry
from recura.db.models.balance_entry import BalanceEntry
from recura.db.models.bank_account import BankAccount
from recura.db.models.bank_statement import BankStatement
from recura.db.models.bank_transaction import BankTransaction
from recura.db.models.billable_metric import BillableMetric
from recura.db.models.cancellation_feedback import CancellationFeedback
from recura.db.models.checkout_session import CheckoutSession
from recura.db.models.console_session import ConsoleSession
from recura.db.models.coupon import Coupon
from recura.db.models.credit_note import CreditNote
from recura.db.models.customer import Customer
from recura.db.models.customer_activity import CustomerActivity
from recura.db.models.customer_note import CustomerNote
from recura.db.models.dispute import Dispute
from recura.db.models.einvoice import EInvoice
from recura.db.models.email_change import EmailChange
from recura.db.models.email_message import EmailMessage
from recura.db.models.email_template import EmailTemplate
from recura.db.models.event import Event
from recura.db.models.exchange_rate import ExchangeRate
from recura.db.models.feature import Feature
from recura.db.models.feature_grant import FeatureGrant
from recura.db.models.gateway_connection import GatewayConnection
from recura.db.models.gateway_customer import GatewayCustomer
from recura.db.models.gateway_event import GatewayEvent
from recura.db.models.idempotency_key import IdempotencyKey
from recura.db.models.invoice import Invoice
from recura.db.models.invoice_line import InvoiceLine
from recura.db.models.invoice_pdf import InvoicePdf
from recura.db.models.invoice_series import InvoiceSeries
from recura.db.models.metered_charge import MeteredCharge
from recura.db.models.metric_cancellation_daily import MetricCancellationDaily
from recura.db.models.metric_checkout_daily import MetricCheckoutDaily
from recura.db.models.metric_churn_kind_daily import MetricChurnKindDaily
from recura.db.models.metric_cursor import MetricCursor
from recura.db.models.metric_customer_state import MetricCustomerState
from recura.db.models.metric_dunning_daily import MetricDunningDaily
from recura.db.models.metric_rollup_daily import MetricRollupDaily
from recura.db.models.metric_rollup_monthly import MetricRollupMonthly
from recura.db.models.metric_subscription_state import MetricSubscriptionState
from recura.db.models.metric_support_daily import MetricSupportDaily
from recura.db.models.metric_trial_daily import MetricTrialDaily
from recura.db.models.mrr_month_movement import MrrMonthMovement
from recura.db.models.mrr_movement import MrrMovement
from recura.db.models.onboarding_completion import OnboardingCompletion
from recura.db.models.onboarding_step import OnboardingStep
from recura.db.models.partner_perk import PartnerPerk
from recura.db.models.payment import Payment
from recura.db.models.payment_method import PaymentMethod
from recura.db.models.perk_voucher import PerkVoucher
from recura.db.models.plan import Plan
from recura.db.models.plan_version import PlanVersion
from recura.db.models.portal_session import PortalSession
from recura.db.models.product import Product
from recura.db.models.promotion_code import PromotionCode
from recura.db.models.refund import Refund
from recura.db.models.sandbox_charge import SandboxCharge
from recura.db.models.subscription import Subscription
from recura.db.models.subscription_add_on import SubscriptionAddOn
from recura.db.models.support_message import SupportMessage
from recura.db.models.support_request import SupportRequest
from recura.db.models.test_clock import TestClock
from recura.db.models.usage_event import UsageEvent
from recura.db.models.user import User
from recura.db.models.vat_check import VatCheck
from recura.db.models.webhook_attempt import WebhookAttempt
from recura.db.models.webhook_delivery import WebhookDelivery
from recura.db.models.webhook_endpoint import WebhookEndpoint

__all__ = [
    "Account",
    "AccountLogo",
    "AcquisitionSpend",
    "AddOn",
    "AnafCall",
    "AnafConnection",
    "Announcement",
    "ApiKey",
    "AuditEntry",
    "BalanceEntry",
    "BankAccount",
    "BankStatement",
    "BankTransaction",
    "BillableMetric",
    "CancellationFeedback",
    "CheckoutSession",
    "ConsoleSession",
    "Coupon",
    "CreditNote",
    "Customer",
    "CustomerActivity",
    "CustomerNote",
    "Dispute",
    "EInvoice",
    "EmailChange",
    "EmailMessage",
    "EmailTemplate",
    "Event",
    "ExchangeRate",
    "Feature",
    "FeatureGrant",
    "GatewayConnection",
    "GatewayCustomer",
    "GatewayEvent",
    "IdempotencyKey",
    "Invoice",
    "InvoiceLine",
    "InvoicePdf",
    "InvoiceSeries",
    "MeteredCharge",
    "MetricCancellationDaily",
    "MetricCheckoutDaily",
    "MetricChurnKindDaily",
    "MetricCursor",
    "MetricCustomerState",
    "MetricDunningDaily",
    "MetricRollupDaily",
    "MetricRollupMonthly",
    "MetricSubscriptionState",
    "MetricSupportDaily",
    "MetricTrialDaily",
    "MrrMonthMovement",
    "MrrMovement",
    "OnboardingCompletion",
    "OnboardingStep",
    "PartnerPerk",
    "Payment",
    "PaymentMethod",
    "PerkVoucher",
    "Plan",
    "PlanVersion",
    "PortalSession",
    "Product",
    "PromotionCode",
    "Refund",
    "SandboxCharge",
    "Subscription",
    "SubscriptionAddOn",
    "SupportMessage",
    "SupportRequest",
    "TestClock",
    "UsageEvent",
    "User",
    "VatCheck",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
