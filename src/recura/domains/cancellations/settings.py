"""Checks of the account's retention offer when the merchant sets it: what it names must
exist and be usable now. Whether it fits a subscription is decided when it is offered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.domains.common.errors import invalid
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import repository as coupons_repository
from recura.domains.coupons import service as coupons
from recura.domains.plans import repository as plans_repository

POINTER = "/retention_offer"


def check_offer(session: Session, tenant: Tenant, offer: dict[str, Any], now: datetime) -> None:
    """InvalidError at the offending field unless the offer's coupon or plan is usable."""
    if offer["kind"] == "coupon":
        here = f"{POINTER}/coupon_id"
        coupon = coupons_repository.get_coupon(session, tenant, offer["coupon_id"])
        if coupon is None:
            raise invalid(here, f"No coupon with id '{offer['coupon_id']}'.")
        coupons.check_redeemable(coupon, here, now)
    elif offer["kind"] == "plan":
        here = f"{POINTER}/plan_id"
        plan = plans_repository.get_plan(session, tenant, offer["plan_id"])
        if plan is None:
            raise invalid(here, f"No plan with id '{offer['plan_id']}'.")
        if plan.archived_at is not None:
            raise invalid(here, f"Plan '{plan.id}' is archived.")
