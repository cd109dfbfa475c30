"""Every portal page under /portal; none of them is part of the API's OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from recura.portal import invoice, payment_method, reactivate

router = APIRouter(prefix="/portal", include_in_schema=False)
router.include_router(payment_method.router)
router.include_router(reactivate.router)
router.include_router(invoice.router)
