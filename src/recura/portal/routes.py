"""Every subscriber page (the portal under /portal, each account's site under /p/); none of
them is part of the API's OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from recura.portal import (
    billing,
    details,
    home,
    invoice,
    payment_method,
    payment_methods,
    reactivate,
    sign_in,
)

router = APIRouter(include_in_schema=False)
for _pages in (payment_method.router, reactivate.router, invoice.router):
    router.include_router(_pages, prefix="/portal")
router.include_router(sign_in.router)
router.include_router(home.router)
for _signed_in in (billing.router, payment_methods.router, details.router):
    router.include_router(_signed_in)
