"""Every subscriber page (the portal under /portal, each account's site under /p/); none of
them is part of the API's OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from recura.portal import (
    cancel,
    change,
    checkout,
    home,
    invoice,
    overview_sections,
    pause,
    payment_method,
    pricing,
    reactivate,
    sign_in,
    support,
)

router = APIRouter(include_in_schema=False)
for _pages in (
    payment_method.router,
    reactivate.router,
    invoice.router,
    change.router,
    cancel.router,
    pause.router,
):
    router.include_router(_pages, prefix="/portal")
router.include_router(sign_in.router)
router.include_router(home.router)
router.include_router(pricing.router)
router.include_router(checkout.router)
router.include_router(support.router)
router.include_router(overview_sections.router)
