"""Every console page (under /console); none is part of the API's OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from recura.console import (
    account,
    anaf_settings,
    api_keys,
    at_risk,
    audit_log,
    bank_transactions,
    catalog,
    catalog_archive,
    catalog_forms,
    catalog_grants,
    customers,
    disputes,
    einvoices,
    home,
    invoice_actions,
    invoice_pdfs,
    invoices,
    metrics_pages,
    payments,
    reset,
    settings,
    settings_emails,
    settings_guides,
    settings_legal,
    settings_processors,
    settings_webhook_changes,
    settings_webhooks,
    sign_in,
    subscription_actions,
    subscriptions,
    support,
    team,
)

router = APIRouter(include_in_schema=False)
for _pages in (
    sign_in.router,
    reset.router,
    home.router,
    at_risk.router,
    metrics_pages.router,
    customers.router,
    # Disputes and bank transactions before the payments' `/{payment_id}`; the catalog's
    # forms (`…/new`) before its objects' pages.
    disputes.router,
    bank_transactions.router,
    payments.router,
    catalog.router,
    catalog_forms.router,
    catalog_archive.router,
    catalog_grants.router,
    catalog.object_router,
    support.router,
    subscriptions.router,
    subscription_actions.router,
    invoices.router,
    invoice_actions.router,
    settings.router,
    settings_emails.router,
    settings_guides.router,
    settings_legal.router,
    settings_processors.router,
    # An endpoint's `/edit` and `/rotate` before its generic `/{action}`.
    settings_webhook_changes.router,
    settings_webhooks.router,
    team.router,
    account.router,
    api_keys.router,
    audit_log.router,
    anaf_settings.router,
    einvoices.router,
    invoice_pdfs.router,
):
    router.include_router(_pages)
