"""Every subscriber page (the portal under /portal, each account's site under /p/); none of
them is part of the API's OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from recura.portal import (
    home,
    invoice,
    overview_sections,
    payment_method,
    reactivate,
    sign_in,
    support,
)

router = APIRouter(include_in_schema=False)
for _pages in (payment_method.router, reactivate.router, invoice.router):
    router.include_router(_pages, prefix="/portal")
router.include_router(sign_in.router)
router.include_router(home.router)
router.include_router(support.router)
router.include_router(overview_sections.router)
