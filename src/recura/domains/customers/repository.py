from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from recura.db import bulk
from recura.db.models import Customer, EmailChange, Subscription, TestClock, VatCheck
from recura.db.records import BilledCustomer
from recura.domains.common import lookup
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def get(session: Session, tenant: Tenant, customer_id: str) -> Customer | None:
    return lookup.find(session, tenant, Customer, customer_id)


def by_external_id(session: Session, tenant: Tenant, external_id: str) -> Customer | None:
    stmt = tenant.scope(select(Customer), Customer).where(Customer.external_id == external_id)
    return session.scalar(stmt)


def page(
    session: Session,
    tenant: Tenant,
    *,
    limit: int,
    starting_after: str | None,
    email: str | None = None,
    external_id: str | None = None,
    archived: bool | None = None,
) -> Page[Customer]:
    stmt = tenant.scope(select(Customer), Customer)
    if email is not None:
        stmt = stmt.where(func.lower(Customer.email) == email.lower())
    if external_id is not None:
        stmt = stmt.where(Customer.external_id == external_id)
    if archived is not None:
        stmt = stmt.where(
            Customer.archived_at.isnot(None) if archived else Customer.archived_at.is_(None)
        )
    return paginate(session, stmt, Customer, limit, starting_after)


# What the console's status filter means, as the statuses of a customer's subscriptions.
STANDINGS = {
    "active": ("active", "trialing"),
    "past_due": ("past_due", "unpaid"),
}
ENDED = ("canceled", "incomplete_expired")


def _standing(tenant: Tenant, standing: str) -> ColumnElement[bool]:
    theirs = tenant.scope(select(Subscription.id), Subscription).where(
        Subscription.customer_id == Customer.id
    )
    if standing == "none":
        return ~exists(theirs.where(Subscription.status.notin_(ENDED)))
    return exists(theirs.where(Subscription.status.in_(STANDINGS[standing])))


def search(
    session: Session,
    tenant: Tenant,
    query: str,
    standing: str | None,
    limit: int,
    starting_after: str | None,
) -> Page[Customer]:
    """The console's customer list, newest first: `query` matches the start of the email,
    or anywhere in the name or the VAT id / CUI (the id order and the limit stop the scan at
    one page, within the account's own rows); `standing` is a key of STANDINGS or "none"."""
    stmt = tenant.scope(select(Customer), Customer)
    words = query.strip().lower()[:200]
    if words:
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        digits = escaped.upper().removeprefix("RO")
        matches = [func.lower(Customer.email).like(f"{escaped}%", escape="\\")]
        if "@" not in words:
            matches.append(func.lower(Customer.name).like(f"%{escaped}%", escape="\\"))
            matches.append(func.upper(Customer.vat_id).like(f"%{digits}%", escape="\\"))
        stmt = stmt.where(or_(*matches))
    if standing is not None:
        stmt = stmt.where(_standing(tenant, standing))
    return paginate(session, stmt, Customer, limit, starting_after)


def default_methods(
    session: Session, tenant: Tenant, customer_ids: Collection[str]
) -> dict[str, str | None]:
    """Each customer's default payment method id, by customer id."""
    stmt = tenant.scope(select(Customer.id, Customer.default_payment_method_id), Customer)
    return {row[0]: row[1] for row in session.execute(stmt.where(Customer.id.in_(customer_ids)))}


def on_test_clock(session: Session, tenant: Tenant, clock_id: str) -> list[Customer]:
    """The clock's customers, oldest first."""
    return list(
        session.scalars(
            tenant.scope(select(Customer), Customer)
            .where(Customer.test_clock_id == clock_id)
            .order_by(Customer.created_at, Customer.id)
        )
    )


def billed_customers(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], BilledCustomer]:
    """Of customers of any account, by (account_id, id), only what billing reads: one
    query per account."""
    found: dict[tuple[str, str], BilledCustomer] = {}
    for account_id, wanted in lookup.ids_by_account(keys).items():
        stmt = select(
            Customer.id,
            Customer.tax_rate,
            Customer.locale,
            Customer.country,
            Customer.kind,
            Customer.vat_id,
            Customer.vat_id_validated_at,
            Customer.vat_check,
        ).where(Customer.account_id == account_id, bulk.among(session, Customer.id, wanted))
        for row in session.execute(stmt):
            customer_id, tax_rate, locale, country, kind, vat_id, validated, check = row
            found[(account_id, customer_id)] = BilledCustomer(
                tax_rate, locale, country, kind, vat_id, validated, check
            )
    return found


def customers_by_key(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Customer]:
    """Customers of any account by (account_id, id)."""
    return lookup.by_keys(session, Customer, keys)


def by_key(session: Session, account_id: str, customer_id: str) -> Customer:
    """The customer a row of the account names (it exists: NoResultFound otherwise)."""
    return session.get_one(Customer, (account_id, customer_id))


def find_by_key(session: Session, account_id: str, customer_id: str) -> Customer | None:
    """The account's customer with this id, in test or live data, if there is one."""
    return session.get(Customer, (account_id, customer_id))


def test_clock_by_key(session: Session, account_id: str, clock_id: str) -> TestClock:
    """The test clock a customer of the account is attached to."""
    return session.get_one(TestClock, (account_id, clock_id))


def lock_email_change(session: Session, tenant: Tenant, change_id: str) -> EmailChange | None:
    """An email change request, locked until commit (its link is used once)."""
    stmt = tenant.scope(select(EmailChange), EmailChange).where(EmailChange.id == change_id)
    return session.scalar(stmt.with_for_update())


def lock_vat_checks_due(session: Session, now: datetime, limit: int) -> list[Customer]:
    """Up to `limit` customers of every account whose VAT number is due a VIES check at
    `now`, soonest due first, FOR UPDATE SKIP LOCKED (other workers take others)."""
    stmt = (
        select(Customer)
        .where(Customer.vat_check_due_at <= now)
        .order_by(Customer.vat_check_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def latest_vat_checks(
    session: Session, tenant: Tenant, customer_ids: Collection[str]
) -> dict[str, VatCheck]:
    """Each customer's last VIES check (of those checked at all)."""
    if not customer_ids:
        return {}
    stmt = (
        tenant.scope(select(VatCheck), VatCheck)
        .where(VatCheck.customer_id.in_(list(customer_ids)))
        .order_by(VatCheck.created_at, VatCheck.id)
    )
    return {check.customer_id: check for check in session.scalars(stmt)}


def vat_checks_of(session: Session, tenant: Tenant, customer_id: str) -> list[VatCheck]:
    """Every VIES check of the customer, oldest first."""
    stmt = (
        tenant.scope(select(VatCheck), VatCheck)
        .where(VatCheck.customer_id == customer_id)
        .order_by(VatCheck.created_at, VatCheck.id)
    )
    return list(session.scalars(stmt))
