"""Every console page (under /console); none is part of the API's OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from recura.console import (
    account,
    api_keys,
    audit_log,
    customers,
    home,
    invoice_pdfs,
    reset,
    sections,
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
    team.router,
    account.router,
    api_keys.router,
    audit_log.router,
    invoice_pdfs.router,
):
    router.include_router(_pages)
