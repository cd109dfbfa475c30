"""Which resource family each /v1 route belongs to, and whether a request reads or writes it:
what an API key's scope is checked against (domains/accounts/scopes.py).

A route's family comes from its path's resource segments, the longest listed prefix first
(`/v1/customers/{id}/payment_methods` is `payments`, `/v1/customers/{id}` is `customers`).
tests/api/test_permissions.py checks that every route of the app has one.
"""

from __future__ import annotations

from recura.domains.accounts.scopes import Level

READ_METHODS = frozenset({"GET", "HEAD"})

# Resource segments (path parameters left out) → family.
FAMILY_OF_RESOURCE: dict[tuple[str, ...], str] = {
    ("account",): "account",
    ("account", "logo"): "account",
    ("bank_accounts",): "account",
    ("email_templates",): "account",
    ("gateway_connections",): "account",
    ("anaf_connection",): "account",
    ("api_keys",): "api_keys",
    ("audit_log",): "audit_log",
    ("products",): "catalog",
    ("plans",): "catalog",
    ("features",): "catalog",
    ("add_ons",): "catalog",
    ("coupons",): "catalog",
    ("promotion_codes",): "catalog",
    ("billable_metrics",): "catalog",
    ("partner_perks",): "catalog",
    ("checkout_sessions",): "checkout",
    ("customers",): "customers",
    ("customers", "balance"): "customers",
    ("customers", "balance_entries"): "customers",
    ("customers", "vat_check"): "customers",
    ("email_messages",): "customers",
    ("customers", "entitlements"): "entitlements",
    ("events",): "events",
    ("invoices",): "invoices",
    ("credit_notes",): "invoices",
    ("einvoices",): "invoices",
    ("invoices", "einvoice"): "invoices",
    ("invoices", "einvoice.xml"): "invoices",
    ("credit_notes", "einvoice"): "invoices",
    ("credit_notes", "einvoice.xml"): "invoices",
    ("customers", "upcoming_invoice"): "invoices",
    ("metrics",): "metrics",
    ("exchange_rates",): "metrics",
    ("acquisition_spend",): "metrics",
    ("acquisition_spend_csv",): "metrics",
    ("engagement",): "metrics",
    ("payments",): "payments",
    ("refunds",): "payments",
    ("disputes",): "payments",
    ("payment_methods",): "payments",
    ("customers", "payment_methods"): "payments",
    ("customers", "payment_method_setups"): "payments",
    ("bank_statements",): "payments",
    ("bank_transactions",): "payments",
    ("portal_sessions",): "portal",
    ("announcements",): "portal",
    ("onboarding_steps",): "portal",
    ("customers", "onboarding"): "portal",
    ("customers", "onboarding_steps"): "portal",
    ("subscriptions",): "subscriptions",
    ("cancellation_feedback",): "subscriptions",
    ("support_requests",): "support",
    ("test_clocks",): "test_clocks",
    ("usage_events",): "usage",
    ("customers", "usage"): "usage",
    ("customers", "activity"): "usage",
    ("webhook_endpoints",): "webhooks",
}


def resources(path: str) -> tuple[str, ...]:
    """The resource segments of a route's path: `/v1/customers/{id}/usage` → customers, usage."""
    parts = path.split("/")[2:] if path.startswith("/v1/") else []
    return tuple(part for part in parts if part and not part.startswith("{"))


def family_of(path: str) -> str | None:
    """The family of the route with this path template, None for one not listed."""
    segments = resources(path)
    for end in range(len(segments), 0, -1):
        family = FAMILY_OF_RESOURCE.get(segments[:end])
        if family is not None:
            return family
    return None


def level_of(method: str) -> Level:
    return "read" if method in READ_METHODS else "write"
