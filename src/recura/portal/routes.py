"""Every subscriber page (the portal under /portal, each account's site under /p/); none of
them is part of the API's OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from recura.portal import (
    billing,
    cancel,
    change,
    checkout,
    details,
    home,
    invoice,
    overview_sections,
    pause,
    payment_method,
    payment_methods,
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
for _signed_in in (billing.router, payment_methods.router, details.router):
    router.include_router(_signed_in)
