"""Every console page (under /console); none is part of the API's OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from recura.console import (
    account,
    api_keys,
    at_risk,
    audit_log,
    customers,
    home,
    invoice_actions,
    invoices,
    reset,
    sections,
    sign_in,
    subscription_actions,
    subscriptions,
    team,
)

router = APIRouter(include_in_schema=False)
for _pages in (
    sign_in.router,
    reset.router,
    home.router,
    at_risk.router,
    customers.router,
    subscriptions.router,
    subscription_actions.router,
    invoices.router,
    invoice_actions.router,
    sections.router,
    team.router,
    account.router,
    api_keys.router,
    audit_log.router,
):
    router.include_router(_pages)
