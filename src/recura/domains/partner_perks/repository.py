"""The partner perks' queries, and the voucher pool's: taking a free code is safe with any
number of transactions at once (PostgreSQL: each skips the codes others have locked;
SQLite: one writer at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recura.db.models import PartnerPerk, PerkVoucher, Subscription, SubscriptionAddOn
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant
from recura.domains.entitlements.repository import GRANTING_STATUSES

# Rows per INSERT of an upload: 8 values a row stays far below either database's limit
# of bound parameters.
INSERT_CHUNK = 1000


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[PartnerPerk]:
    return paginate(
        session, tenant.scope(select(PartnerPerk), PartnerPerk), PartnerPerk, limit, starting_after
    )


def active(session: Session, tenant: Tenant, kind: str | None = None) -> list[PartnerPerk]:
    """The tenant's perks not archived (of `kind`, if given), oldest first."""
    stmt = tenant.scope(select(PartnerPerk), PartnerPerk).where(PartnerPerk.archived_at.is_(None))
    if kind is not None:
        stmt = stmt.where(PartnerPerk.kind == kind)
    return list(session.scalars(stmt.order_by(PartnerPerk.id)))


def lock(session: Session, tenant: Tenant, perk_id: str) -> PartnerPerk | None:
    """The perk read afresh and locked until the transaction ends: whatever changes or
    judges its pool as a whole (an upload, the low-stock check) takes its turn."""
    stmt = (
        tenant.scope(select(PartnerPerk), PartnerPerk)
        .where(PartnerPerk.id == perk_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found: PartnerPerk | None = session.scalar(stmt)
    return found


def accounts_with_perks(session: Session, account_ids: Sequence[str]) -> set[str]:
    """Which of the accounts have a perk not archived (in test or live data)."""
    if not account_ids:
        return set()
    stmt = (
        select(PartnerPerk.account_id)
        .where(
            PartnerPerk.account_id.in_(sorted(set(account_ids))), PartnerPerk.archived_at.is_(None)
        )
        .distinct()
    )
    return set(session.scalars(stmt))


def live_terms(
    session: Session, tenant: Tenant, customer_id: str
) -> list[tuple[str, str, list[str]]]:
    """(subscription, plan, add-ons) of each of the customer's subscriptions that grant
    what their plan and add-ons grant (the entitlements' statuses), oldest first."""
    stmt = (
        tenant.scope(
            select(Subscription.id, Subscription.plan_id, SubscriptionAddOn.add_on_id), Subscription
        )
        .outerjoin(
            SubscriptionAddOn,
            (SubscriptionAddOn.account_id == Subscription.account_id)
            & (SubscriptionAddOn.subscription_id == Subscription.id),
        )
        .where(Subscription.customer_id == customer_id, Subscription.status.in_(GRANTING_STATUSES))
        .order_by(Subscription.id)
    )
    found: dict[str, tuple[str, list[str]]] = {}
    for sub_id, plan_id, add_on_id in session.execute(stmt):
        _, add_ons = found.setdefault(sub_id, (plan_id, []))
        if add_on_id is not None:
            add_ons.append(add_on_id)
    return [(sub_id, plan, add_ons) for sub_id, (plan, add_ons) in found.items()]


def held(
    session: Session, tenant: Tenant, customer_id: str, perk_ids: Sequence[str]
) -> dict[str, PerkVoucher]:
    """The customer's codes of the perks, by perk."""
    if not perk_ids:
        return {}
    stmt = tenant.scope(select(PerkVoucher), PerkVoucher).where(
        PerkVoucher.customer_id == customer_id, PerkVoucher.perk_id.in_(list(perk_ids))
    )
    return {voucher.perk_id: voucher for voucher in session.scalars(stmt)}


def lock_free(session: Session, tenant: Tenant, perk_id: str) -> str | None:
    """The id of a free code of the perk, locked until the transaction ends; a code
    another transaction holds is skipped, not waited for. None when none is free."""
    stmt = (
        tenant.scope(select(PerkVoucher.id), PerkVoucher)
        .where(PerkVoucher.perk_id == perk_id, PerkVoucher.customer_id.is_(None))
        .order_by(PerkVoucher.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    found: str | None = session.scalar(stmt)
    return found


def give(
    session: Session,
    tenant: Tenant,
    voucher_id: str,
    customer_id: str,
    subscription_id: str | None,
    now: datetime,
) -> PerkVoucher | None:
    """Give the free code to the customer; None if it is free no longer."""
    stmt = (
        update(PerkVoucher)
        .where(
            PerkVoucher.account_id == tenant.account_id,
            PerkVoucher.id == voucher_id,
            PerkVoucher.customer_id.is_(None),
        )
        .values(customer_id=customer_id, subscription_id=subscription_id, assigned_at=now)
        .returning(PerkVoucher)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    given: PerkVoucher | None = session.scalars(stmt).first()
    return given


def counts(session: Session, tenant: Tenant, perk_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(free, given) codes of each perk."""
    if not perk_ids:
        return {}
    given = func.count(PerkVoucher.customer_id)
    stmt = (
        tenant.scope(select(PerkVoucher.perk_id, func.count() - given, given), PerkVoucher)
        .where(PerkVoucher.perk_id.in_(list(perk_ids)))
        .group_by(PerkVoucher.perk_id)
    )
    found = {perk_id: (0, 0) for perk_id in perk_ids}
    for perk_id, free, taken in session.execute(stmt):
        found[perk_id] = (int(free), int(taken))
    return found


def count_free(session: Session, tenant: Tenant, perk_id: str) -> int:
    stmt = tenant.scope(select(func.count()).select_from(PerkVoucher), PerkVoucher).where(
        PerkVoucher.perk_id == perk_id, PerkVoucher.customer_id.is_(None)
    )
    return int(session.scalar(stmt) or 0)


def _granting(tenant: Tenant, perk: PartnerPerk) -> ColumnElement[bool]:
    """A subscription that grants the perk now."""
    by_add_on: ColumnElement[bool] = false()
    if perk.add_on_ids:
        by_add_on = exists().where(
            SubscriptionAddOn.account_id == Subscription.account_id,
            SubscriptionAddOn.subscription_id == Subscription.id,
            SubscriptionAddOn.add_on_id.in_(perk.add_on_ids),
        )
    by_plan = Subscription.plan_id.in_(perk.plan_ids) if perk.plan_ids else false()
    return and_(Subscription.status.in_(GRANTING_STATUSES), or_(by_plan, by_add_on))


def _waiting(tenant: Tenant, perk: PartnerPerk) -> Select[str, str]:
    has_code = exists().where(
        PerkVoucher.account_id == Subscription.account_id,
        PerkVoucher.perk_id == perk.id,
        PerkVoucher.customer_id == Subscription.customer_id,
    )
    return tenant.scope(select(Subscription.customer_id, Subscription.id), Subscription).where(
        _granting(tenant, perk), ~has_code
    )


def waiting(
    session: Session, tenant: Tenant, perk: PartnerPerk, limit: int
) -> list[tuple[str, str]]:
    """Up to `limit` (customer, subscription) granted the perk without a code, who have
    waited longest first (by their oldest granting subscription)."""
    found: dict[str, str] = {}
    rows = session.execute(_waiting(tenant, perk).order_by(Subscription.id))
    for customer_id, sub_id in rows:
        if len(found) >= limit:
            break
        found.setdefault(customer_id, sub_id)
    return list(found.items())


def count_waiting(session: Session, tenant: Tenant, perk: PartnerPerk) -> int:
    inner = _waiting(tenant, perk).subquery()
    stmt = select(func.count(func.distinct(inner.c.customer_id)))
    return int(session.scalar(stmt) or 0)


def insert_codes(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert the codes, skipping those already in their pool; how many went in. In the
    codes' order, so uploads sharing codes wait for each other without a deadlock."""
    if not rows:
        return 0
    connection = session.connection()
    dialect: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    added = 0
    rows = sorted(rows, key=lambda row: row["code"])
    for start in range(0, len(rows), INSERT_CHUNK):
        stmt = (
            dialect.insert(PerkVoucher)
            .values(rows[start : start + INSERT_CHUNK])
            .on_conflict_do_nothing(index_elements=["account_id", "perk_id", "code"])
            .returning(PerkVoucher.id)
        )
        added += len(connection.execute(stmt).all())
    return added


def mark_pool_low(session: Session, tenant: Tenant, perk_id: str, now: datetime) -> bool:
    """Mark the perk's pool low unless it is already; whether this call marked it (only
    one of any number of transactions crossing at once does: the others wait for its row
    and then find it marked)."""
    stmt = (
        update(PartnerPerk)
        .where(
            PartnerPerk.account_id == tenant.account_id,
            PartnerPerk.id == perk_id,
            PartnerPerk.pool_low_at.is_(None),
        )
        .values(pool_low_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def clear_pool_low(session: Session, tenant: Tenant, perk_id: str) -> None:
    stmt = (
        update(PartnerPerk)
        .where(
            PartnerPerk.account_id == tenant.account_id,
            PartnerPerk.id == perk_id,
            PartnerPerk.pool_low_at.is_not(None),
        )
        .values(pool_low_at=None)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(stmt)
