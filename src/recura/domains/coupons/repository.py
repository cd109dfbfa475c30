from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import Coupon, PromotionCode
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get_coupon(session: Session, tenant: Tenant, coupon_id: str) -> Coupon | None:
    return session.scalar(tenant.scope(select(Coupon), Coupon).where(Coupon.id == coupon_id))


def coupon_by_code(session: Session, tenant: Tenant, code: str) -> Coupon | None:
    return session.scalar(tenant.scope(select(Coupon), Coupon).where(Coupon.code == code))


def coupon_page(
    session: Session,
    tenant: Tenant,
    *,
    limit: int,
    starting_after: str | None,
    code: str | None = None,
    archived: bool | None = None,
) -> Page[Coupon]:
    stmt = tenant.scope(select(Coupon), Coupon)
    if code is not None:
        stmt = stmt.where(Coupon.code == code)
    if archived is not None:
        column = Coupon.archived_at
        stmt = stmt.where(column.isnot(None) if archived else column.is_(None))
    return paginate(session, stmt, Coupon, limit, starting_after)


def get_promotion(session: Session, tenant: Tenant, promotion_id: str) -> PromotionCode | None:
    stmt = tenant.scope(select(PromotionCode), PromotionCode).where(
        PromotionCode.id == promotion_id
    )
    return session.scalar(stmt)


def promotion_by_code(session: Session, tenant: Tenant, code: str) -> PromotionCode | None:
    """Codes are stored upper-cased, so upper-casing the input makes the lookup case-blind."""
    stmt = tenant.scope(select(PromotionCode), PromotionCode).where(
        PromotionCode.code == code.upper()
    )
    return session.scalar(stmt)


def promotion_page(
    session: Session,
    tenant: Tenant,
    *,
    limit: int,
    starting_after: str | None,
    code: str | None = None,
    coupon: str | None = None,
    active: bool | None = None,
) -> Page[PromotionCode]:
    stmt = tenant.scope(select(PromotionCode), PromotionCode)
    if code is not None:
        stmt = stmt.where(PromotionCode.code == code.upper())
    if coupon is not None:
        stmt = stmt.where(PromotionCode.coupon_id == coupon)
    if active is not None:
        stmt = stmt.where(PromotionCode.active == active)
    return paginate(session, stmt, PromotionCode, limit, starting_after)


def coupon_by_key(session: Session, account_id: str, coupon_id: str) -> Coupon:
    return session.get_one(Coupon, (account_id, coupon_id))
