"""Coupons and promotion codes: create, change, list, archive, and check one before billing.

A coupon's commercial terms are fixed at creation: invoices already discounted refer to them,
so a different discount is a new coupon. Redemption counters are only read here; the
subscription code increments them in the transaction that applies the discount.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.db.models import Coupon, PromotionCode
from recura.domains.common import lookup
from recura.domains.common.errors import (
    ConflictError,
    FieldError,
    InvalidError,
    NotFoundError,
    invalid,
)
from recura.domains.common.fields import MoneyOut
from recura.domains.common.metadata import merge_metadata
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import repository
from recura.domains.coupons.schemas import (
    CouponCreate,
    CouponOut,
    CouponUpdate,
    PromotionCodeCreate,
    PromotionCodeOut,
    PromotionCodeUpdate,
)
from recura.domains.customers import repository as customers
from recura.domains.plans.repository import get_plan
from recura.ids import new_id

# Coupons


def get_coupon(session: Session, tenant: Tenant, coupon_id: str) -> Coupon:
    coupon = repository.get_coupon(session, tenant, coupon_id)
    if coupon is None:
        raise NotFoundError("coupon", coupon_id)
    return coupon


def create_coupon(session: Session, tenant: Tenant, data: CouponCreate, now: datetime) -> Coupon:
    _check_terms(session, tenant, data, now)
    if repository.coupon_by_code(session, tenant, data.code) is not None:
        raise ConflictError(f"A coupon with code '{data.code}' already exists.")
    coupon = Coupon(
        id=new_id("coupon"),
        **tenant.row_keys(),
        code=data.code,
        name=data.name,
        percent_off=data.percent_off,
        amounts_off=[m.model_dump() for m in data.amounts_off],
        duration=data.duration,
        duration_in_periods=data.duration_in_periods,
        max_redemptions=data.max_redemptions,
        times_redeemed=0,
        redeem_by=data.redeem_by,
        applies_to_plans=data.applies_to_plans,
        metadata_=data.metadata,
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(coupon)
    session.flush()
    return coupon


def update_coupon(
    session: Session, tenant: Tenant, coupon_id: str, data: CouponUpdate, now: datetime
) -> Coupon:
    coupon = get_coupon(session, tenant, coupon_id)
    allowed = {"name", "metadata", "max_redemptions", "redeem_by"}
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, include=allowed)
    _check_limit(changes, coupon.times_redeemed)
    _check_future(changes, "redeem_by", now)
    if "metadata" in changes:
        coupon.metadata_ = merge_metadata(coupon.metadata_, changes.pop("metadata"))
    for field, value in changes.items():
        setattr(coupon, field, value)
    coupon.updated_at = now
    session.flush()
    return coupon


def archive_coupon(session: Session, tenant: Tenant, coupon_id: str, now: datetime) -> Coupon:
    return lookup.archive(get_coupon(session, tenant, coupon_id), "coupon", now)


def coupon_page(session: Session, tenant: Tenant, **filters: Any) -> Page[Coupon]:
    return repository.coupon_page(session, tenant, **filters)


def coupon_out(coupon: Coupon) -> CouponOut:
    return CouponOut(
        id=coupon.id,
        code=coupon.code,
        name=coupon.name,
        percent_off=coupon.percent_off.normalize() if coupon.percent_off is not None else None,
        amounts_off=[MoneyOut(**m) for m in coupon.amounts_off],
        duration=coupon.duration,
        duration_in_periods=coupon.duration_in_periods,
        max_redemptions=coupon.max_redemptions,
        times_redeemed=coupon.times_redeemed,
        redeem_by=coupon.redeem_by,
        applies_to_plans=coupon.applies_to_plans,
        metadata=coupon.metadata_,
        livemode=coupon.livemode,
        archived=coupon.archived_at is not None,
        created_at=coupon.created_at,
        updated_at=coupon.updated_at,
    )


# Promotion codes


def get_promotion(session: Session, tenant: Tenant, promotion_id: str) -> PromotionCode:
    promotion = repository.get_promotion(session, tenant, promotion_id)
    if promotion is None:
        raise NotFoundError("promotion code", promotion_id)
    return promotion


def create_promotion(
    session: Session, tenant: Tenant, data: PromotionCodeCreate, now: datetime
) -> PromotionCode:
    coupon = repository.get_coupon(session, tenant, data.coupon)
    errors: list[FieldError] = []
    if coupon is None:
        errors.append(FieldError("/coupon", f"No coupon with id '{data.coupon}'."))
    if data.customer is not None and customers.get(session, tenant, data.customer) is None:
        errors.append(FieldError("/customer", f"No customer with id '{data.customer}'."))
    if data.expires_at is not None and data.expires_at <= now:
        errors.append(FieldError("/expires_at", "must be in the future"))
    if errors:
        raise InvalidError(errors)
    assert coupon is not None
    if coupon.archived_at is not None:
        raise ConflictError(f"Coupon '{coupon.id}' is archived; it takes no new promotion codes.")
    if repository.promotion_by_code(session, tenant, data.code) is not None:
        raise ConflictError(f"The promotion code '{data.code}' already exists.")
    promotion = PromotionCode(
        id=new_id("promotion_code"),
        **tenant.row_keys(),
        code=data.code,
        coupon_id=coupon.id,
        active=data.active,
        max_redemptions=data.max_redemptions,
        times_redeemed=0,
        expires_at=data.expires_at,
        customer_id=data.customer,
        first_time_only=data.first_time_only,
        metadata_=data.metadata,
        created_at=now,
        updated_at=now,
    )
    session.add(promotion)
    session.flush()
    return promotion


def update_promotion(
    session: Session, tenant: Tenant, promotion_id: str, data: PromotionCodeUpdate, now: datetime
) -> PromotionCode:
    promotion = get_promotion(session, tenant, promotion_id)
    allowed = {"active", "metadata", "max_redemptions", "expires_at"}
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, include=allowed)
    _check_limit(changes, promotion.times_redeemed)
    _check_future(changes, "expires_at", now)
    if changes.get("active") and not promotion.active:
        coupon = get_coupon(session, tenant, promotion.coupon_id)
        if coupon.archived_at is not None:
            raise ConflictError(f"Coupon '{coupon.id}' is archived; its codes stay inactive.")
    if "metadata" in changes:
        promotion.metadata_ = merge_metadata(promotion.metadata_, changes.pop("metadata"))
    for field, value in changes.items():
        setattr(promotion, field, value)
    promotion.updated_at = now
    session.flush()
    return promotion


def promotion_page(session: Session, tenant: Tenant, **filters: Any) -> Page[PromotionCode]:
    return repository.promotion_page(session, tenant, **filters)


def promotion_out(promotion: PromotionCode) -> PromotionCodeOut:
    return PromotionCodeOut(
        id=promotion.id,
        code=promotion.code,
        coupon=promotion.coupon_id,
        active=promotion.active,
        max_redemptions=promotion.max_redemptions,
        times_redeemed=promotion.times_redeemed,
        expires_at=promotion.expires_at,
        customer=promotion.customer_id,
        first_time_only=promotion.first_time_only,
        metadata=promotion.metadata_,
        livemode=promotion.livemode,
        created_at=promotion.created_at,
        updated_at=promotion.updated_at,
    )


# Checking a discount before it is applied


def resolve_discount(
    session: Session,
    tenant: Tenant,
    *,
    coupon_id: str | None = None,
    promotion_code: str | None = None,
    plan_id: str | None,
    customer_id: str | None,
    now: datetime,
) -> tuple[Coupon, PromotionCode | None]:
    """The coupon (and promotion code) to apply, or InvalidError saying why it cannot be used.

    `first_time_only` is not checked here: whether the customer has paid before is the
    billing code's knowledge, not the catalog's.
    """
    if (coupon_id is None) == (promotion_code is None):
        raise invalid("/coupon", "give either a coupon or a promotion code")
    promotion = None
    if promotion_code is not None:
        pointer = "/promotion_code"
        promotion = repository.promotion_by_code(session, tenant, promotion_code)
        if promotion is None:
            raise invalid(pointer, f"No promotion code '{promotion_code}'.")
        _check_promotion(promotion, customer_id, now)
        coupon = get_coupon(session, tenant, promotion.coupon_id)
    else:
        assert coupon_id is not None
        pointer = "/coupon"
        found = repository.get_coupon(session, tenant, coupon_id)
        if found is None:
            raise invalid(pointer, f"No coupon with id '{coupon_id}'.")
        coupon = found
    _check_coupon(coupon, pointer, plan_id, now)
    return coupon, promotion


def _check_promotion(promotion: PromotionCode, customer_id: str | None, now: datetime) -> None:
    pointer, code = "/promotion_code", promotion.code
    if not promotion.active:
        raise invalid(pointer, f"Promotion code '{code}' is not active.")
    if promotion.expires_at is not None and promotion.expires_at <= now:
        raise invalid(pointer, f"Promotion code '{code}' expired at {_iso(promotion.expires_at)}.")
    limit = promotion.max_redemptions
    if limit is not None and promotion.times_redeemed >= limit:
        raise invalid(pointer, f"Promotion code '{code}' was already redeemed {limit} times.")
    if promotion.customer_id is not None and promotion.customer_id != customer_id:
        raise invalid(pointer, f"Promotion code '{code}' is reserved for another customer.")


def _check_coupon(coupon: Coupon, pointer: str, plan_id: str | None, now: datetime) -> None:
    check_redeemable(coupon, pointer, now)
    if coupon.applies_to_plans and plan_id not in coupon.applies_to_plans:
        plans = ", ".join(coupon.applies_to_plans)
        raise invalid(pointer, f"Coupon '{coupon.code}' applies only to the plans {plans}.")


def check_redeemable(coupon: Coupon, pointer: str, now: datetime) -> None:
    """InvalidError at `pointer` unless the coupon can still be redeemed on some plan."""
    name = f"Coupon '{coupon.code}'"
    if coupon.archived_at is not None:
        raise invalid(pointer, f"{name} is archived.")
    if coupon.redeem_by is not None and coupon.redeem_by <= now:
        raise invalid(pointer, f"{name} could be redeemed until {_iso(coupon.redeem_by)}.")
    limit = coupon.max_redemptions
    if limit is not None and coupon.times_redeemed >= limit:
        raise invalid(pointer, f"{name} was already redeemed {limit} times.")


# Shared rules


def _check_terms(session: Session, tenant: Tenant, data: CouponCreate, now: datetime) -> None:
    errors: list[FieldError] = []
    if data.percent_off is not None and data.amounts_off:
        errors.append(
            FieldError("/amounts_off", "give either percent_off or amounts_off, not both")
        )
    if data.percent_off is None and not data.amounts_off:
        errors.append(FieldError("/percent_off", "give either percent_off or amounts_off"))
    currencies: set[str] = set()
    for index, money in enumerate(data.amounts_off):
        if money.amount == 0:
            errors.append(FieldError(f"/amounts_off/{index}/amount", "must be greater than 0"))
        if money.currency in currencies:
            detail = f"{money.currency} is listed twice; give one amount per currency"
            errors.append(FieldError(f"/amounts_off/{index}/currency", detail))
        currencies.add(money.currency)
    repeating = data.duration == "repeating"
    if repeating and data.duration_in_periods is None:
        errors.append(FieldError("/duration_in_periods", "is required when duration is repeating"))
    if not repeating and data.duration_in_periods is not None:
        detail = f"must be empty when duration is {data.duration}"
        errors.append(FieldError("/duration_in_periods", detail))
    if data.redeem_by is not None and data.redeem_by <= now:
        errors.append(FieldError("/redeem_by", "must be in the future"))
    seen: set[str] = set()
    for index, plan_id in enumerate(data.applies_to_plans):
        pointer = f"/applies_to_plans/{index}"
        if plan_id in seen:
            errors.append(FieldError(pointer, f"'{plan_id}' is listed twice"))
        elif get_plan(session, tenant, plan_id) is None:
            errors.append(FieldError(pointer, f"No plan with id '{plan_id}'."))
        seen.add(plan_id)
    if errors:
        raise InvalidError(errors)


def _check_limit(changes: dict[str, Any], times_redeemed: int) -> None:
    limit = changes.get("max_redemptions")
    if limit is not None and limit < times_redeemed:
        detail = f"cannot be below times_redeemed ({times_redeemed})"
        raise invalid("/max_redemptions", detail)


def _check_future(changes: dict[str, Any], field: str, now: datetime) -> None:
    value = changes.get(field)
    if value is not None and value <= now:
        raise invalid(f"/{field}", "must be in the future")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
