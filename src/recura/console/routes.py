"""Every console page (under /console); none is part of the API's OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from recura.console import (
    account,
    api_keys,
    audit_log,
    customers,
    home,
    reset,
    sections,
    settings,
    settings_emails,
    settings_guides,
    settings_legal,
    settings_processors,
    settings_webhooks,
    sign_in,
    team,
)

router = APIRouter(include_in_schema=False)
for _pages in (
    sign_in.router,
    reset.router,
    home.router,
    customers.router,
    sections.router,
    settings.router,
    settings_emails.router,
    settings_guides.router,
    settings_legal.router,
    settings_processors.router,
    settings_webhooks.router,
    team.router,
    account.router,
    api_keys.router,
    audit_log.router,
):
    router.include_router(_pages)
