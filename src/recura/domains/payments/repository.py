"""The payments' queries: payments, refunds, disputes, payment methods, processor
connections and bank transactions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ARRAY, Text, func, literal, or_, select
from sqlalchemy.orm import Session

from recura.db import bulk, held
from recura.db.base import TenantColumns
from recura.db.models import (
    BankStatement,
    BankTransaction,
    Dispute,
    GatewayConnection,
    GatewayCustomer,
    Payment,
    PaymentMethod,
    Refund,
)
from recura.domains.common import lookup
from recura.domains.common.pages import Page, paginate
from recura.domains.common.tenant import Tenant


def lock(session: Session, row: TenantColumns) -> None:
    """The row, read again FOR UPDATE."""
    session.refresh(row, with_for_update=True)


def advisory_lock(session: Session, name: str) -> None:
    """PostgreSQL's transaction-scoped advisory lock on `name` (no row is locked)."""
    if held.holding(session, name):  # taken with its batch (`advisory_locks`)
        return
    key = func.hashtextextended(name, 0)
    session.execute(select(func.pg_advisory_xact_lock(key)))


def advisory_locks(session: Session, names: Collection[str]) -> None:
    """`advisory_lock` of each of `names`, in one statement, in their order."""
    if not names:
        return
    ordered = sorted(set(names))
    keys = select(func.unnest(literal(ordered, ARRAY(Text))).label("name")).subquery()
    stmt = select(func.pg_advisory_xact_lock(func.hashtextextended(keys.c.name, 0))).order_by(
        keys.c.name
    )
    session.execute(stmt).all()
    held.hold(session, dict.fromkeys(ordered, True))


def methods_by_key(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], PaymentMethod]:
    """Payment methods of any account by (account_id, id)."""
    return lookup.by_keys(session, PaymentMethod, keys)


def invoices_with_unsettled(
    session: Session, keys: Collection[tuple[str, str]], statuses: Collection[str]
) -> set[tuple[str, str]]:
    """Which of the (account id, invoice id) `keys` have a payment in one of `statuses`."""
    found: set[tuple[str, str]] = set()
    for account_id, ids in lookup.ids_by_account(keys).items():
        stmt = select(Payment.invoice_id).where(
            Payment.account_id == account_id,
            bulk.among(session, Payment.invoice_id, ids),
            Payment.status.in_(statuses),
        )
        found.update((account_id, invoice_id) for invoice_id in session.scalars(stmt))
    return found


def waiting_of_invoices(session: Session, keys: Collection[tuple[str, str]]) -> list[Payment]:
    """The attempts of the (account id, invoice id) `keys` still waiting for the customer
    (3-D Secure, a payer's approval)."""
    found: list[Payment] = []
    for account_id, ids in lookup.ids_by_account(keys).items():
        stmt = select(Payment).where(
            Payment.account_id == account_id,
            bulk.among(session, Payment.invoice_id, ids),
            Payment.status == "requires_action",
        )
        found.extend(session.scalars(stmt.order_by(Payment.invoice_id, Payment.attempt)))
    return found


def waiting_of_customer(session: Session, tenant: Tenant, customer_id: str) -> list[Payment]:
    """The customer's attempts waiting for them (3-D Secure, a payer's approval). Few:
    read through the customer's index, filtered here."""
    stmt = tenant.scope(select(Payment), Payment).where(
        Payment.customer_id == customer_id, Payment.status == "requires_action"
    )
    return list(session.scalars(stmt))


def lock_payments(session: Session, keys: Sequence[tuple[str, str]]) -> list[Payment]:
    """The payments of (account id, payment id) `keys`, locked in the keys' order; the
    transaction's `lock_payment` of each finds it without asking again."""
    found = lookup.locked_by_keys(session, Payment, keys)
    held.hold(session, {(Payment, p.account_id, p.id): p for p in found})
    return found


def lock_payment(session: Session, account_id: str, payment_id: str) -> Payment:
    """The payment, locked (read again FOR UPDATE unless its batch locked it)."""
    found = held.holding(session, (Payment, account_id, payment_id))
    if found is not None:  # locked with its batch (`lock_payments`)
        return found  # type: ignore[no-any-return]
    payment = session.get_one(Payment, (account_id, payment_id))
    session.refresh(payment, with_for_update=True)
    return payment


def payments_page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    *,
    invoice: str | None,
    customer: str | None,
    status: str | None = None,
    gateway: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
) -> Page[Payment]:
    """Newest first; `since` and `before` bound when the payment was made (half-open)."""
    stmt = tenant.scope(select(Payment), Payment)
    if invoice is not None:
        stmt = stmt.where(Payment.invoice_id == invoice)
    if customer is not None:
        stmt = stmt.where(Payment.customer_id == customer)
    if status is not None:
        stmt = stmt.where(Payment.status == status)
    if gateway is not None:
        stmt = stmt.where(Payment.gateway == gateway)
    if since is not None:
        stmt = stmt.where(Payment.created_at >= since)
    if before is not None:
        stmt = stmt.where(Payment.created_at < before)
    return paginate(session, stmt, Payment, limit, starting_after)


def lock_payment_by_reference(
    session: Session, tenant: Tenant, gateway: str, reference: str
) -> Payment | None:
    """The payment the processor calls `reference`, FOR UPDATE."""
    scoped = tenant.scope(select(Payment), Payment).where(Payment.gateway == gateway)
    return session.scalar(scoped.where(Payment.reference == reference).with_for_update())


def lock_payment_by_attempt(
    session: Session,
    tenant: Tenant,
    gateway: str,
    invoice_id: str,
    attempt: int,
    idempotency_key: str,
) -> Payment | None:
    """The invoice's attempt sent under `idempotency_key`, FOR UPDATE."""
    scoped = tenant.scope(select(Payment), Payment).where(Payment.gateway == gateway)
    return session.scalar(
        scoped.where(Payment.invoice_id == invoice_id, Payment.attempt == attempt)
        .where(Payment.idempotency_key == idempotency_key)
        .with_for_update()
    )


def lock_unsettled(
    session: Session, abandoned_before: datetime, ask_again_before: datetime, limit: int
) -> list[Payment]:
    """Up to `limit` attempts of every account whose outcome is not known, least recently
    changed first, FOR UPDATE SKIP LOCKED: `processing` ones last changed before
    `abandoned_before` (their worker was lost), `unknown` ones last asked about before
    `ask_again_before`."""
    stmt = (
        select(Payment)
        .where(
            or_(
                (Payment.status == "processing") & (Payment.updated_at <= abandoned_before),
                (Payment.status == "unknown") & (Payment.updated_at <= ask_again_before),
            )
        )
        .order_by(Payment.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def refunds_page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, payment: str | None
) -> Page[Refund]:
    stmt = tenant.scope(select(Refund), Refund)
    if payment is not None:
        stmt = stmt.where(Refund.payment_id == payment)
    return paginate(session, stmt, Refund, limit, starting_after)


def refunds_of_customer(
    session: Session, tenant: Tenant, customer_id: str, limit: int
) -> list[Refund]:
    """The customer's newest refunds (of their payments), newest first."""
    stmt = (
        tenant.scope(select(Refund), Refund)
        .join(
            Payment,
            (Payment.account_id == Refund.account_id) & (Payment.id == Refund.payment_id),
        )
        .where(Payment.customer_id == customer_id)
    )
    return list(session.scalars(stmt.order_by(Refund.id.desc()).limit(limit)))


def refund_count(session: Session, tenant: Tenant, payment_id: str) -> int | None:
    return session.scalar(
        tenant.scope(select(func.count()), Refund).where(Refund.payment_id == payment_id)
    )


def lock_refunds_of(session: Session, tenant: Tenant, payment_id: str) -> list[Refund]:
    """The payment's refunds, oldest first, FOR UPDATE."""
    of_payment = (
        tenant.scope(select(Refund), Refund)
        .where(Refund.payment_id == payment_id)
        .order_by(Refund.id)
        .with_for_update()
    )
    return list(session.scalars(of_payment))


def disputes_page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    payment: str | None,
    status: str | None = None,
) -> Page[Dispute]:
    stmt = tenant.scope(select(Dispute), Dispute)
    if payment is not None:
        stmt = stmt.where(Dispute.payment_id == payment)
    if status is not None:
        stmt = stmt.where(Dispute.status == status)
    return paginate(session, stmt, Dispute, limit, starting_after)


def lock_dispute(session: Session, tenant: Tenant, gateway: str, reference: str) -> Dispute | None:
    """The dispute the processor calls `reference`, FOR UPDATE."""
    return session.scalar(
        tenant.scope(select(Dispute), Dispute)
        .where(Dispute.gateway == gateway, Dispute.reference == reference)
        .with_for_update()
    )


def methods_page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    customer: str | None,
    *,
    active_only: bool,
) -> Page[PaymentMethod]:
    stmt = tenant.scope(select(PaymentMethod), PaymentMethod)
    if customer is not None:
        stmt = stmt.where(PaymentMethod.customer_id == customer)
    if active_only:
        stmt = stmt.where(PaymentMethod.status == "active")
    return paginate(session, stmt, PaymentMethod, limit, starting_after)


def method_count(session: Session, tenant: Tenant, customer_id: str, gateway: str) -> int | None:
    """How many methods the customer saved with the processor, detached ones included."""
    return session.scalar(
        tenant.scope(select(func.count()), PaymentMethod).where(
            PaymentMethod.customer_id == customer_id, PaymentMethod.gateway == gateway
        )
    )


def active_method(
    session: Session, tenant: Tenant, customer_id: str, gateway: str, reference: str
) -> PaymentMethod | None:
    stmt = tenant.scope(select(PaymentMethod), PaymentMethod).where(
        PaymentMethod.customer_id == customer_id,
        PaymentMethod.gateway == gateway,
        PaymentMethod.reference == reference,
        PaymentMethod.status == "active",
    )
    return session.scalars(stmt.limit(1)).first()


def lock_active_method(
    session: Session, tenant: Tenant, gateway: str, reference: str | None
) -> PaymentMethod | None:
    """The active method the processor calls `reference`, FOR UPDATE."""
    return session.scalar(
        tenant.scope(select(PaymentMethod), PaymentMethod)
        .where(
            PaymentMethod.gateway == gateway,
            PaymentMethod.reference == reference,
            PaymentMethod.status == "active",
        )
        .with_for_update()
    )


def lock_expiring_unnotified(
    session: Session, now: datetime, notice: timedelta, limit: int
) -> list[PaymentMethod]:
    """Active methods that stop working within `notice` and were not announced, FOR UPDATE
    SKIP LOCKED."""
    stmt = (
        select(PaymentMethod)
        .where(
            PaymentMethod.expires_on.is_not(None),
            PaymentMethod.expires_on <= now + notice,
            PaymentMethod.expires_on > now,
            PaymentMethod.expiring_notified_at.is_(None),
            PaymentMethod.status == "active",
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def connection(session: Session, tenant: Tenant, gateway: str) -> GatewayConnection | None:
    stmt = tenant.scope(select(GatewayConnection), GatewayConnection)
    return session.scalar(stmt.where(GatewayConnection.gateway == gateway))


def connections(session: Session, tenant: Tenant) -> list[GatewayConnection]:
    stmt = tenant.scope(select(GatewayConnection), GatewayConnection)
    return list(session.scalars(stmt.order_by(GatewayConnection.gateway)))


def connected_gateways(session: Session, tenant: Tenant) -> set[str]:
    stmt = tenant.scope(select(GatewayConnection.gateway), GatewayConnection)
    return set(session.scalars(stmt))


def connection_by_id(
    session: Session, gateway: str, connection_id: str
) -> GatewayConnection | None:
    return session.scalar(
        select(GatewayConnection).where(
            GatewayConnection.id == connection_id, GatewayConnection.gateway == gateway
        )
    )


def paid_transfers(
    session: Session,
    tenant: Tenant,
    account_number: str,
    amount: int,
    currency: str,
    statuses: Collection[str],
) -> list[BankTransaction]:
    """Credits of `amount` to the bank account in `statuses`, oldest first, unlocked."""
    stmt = (
        tenant.scope(select(BankTransaction), BankTransaction)
        .where(
            BankTransaction.account_number == account_number,
            BankTransaction.credit.is_(True),
            BankTransaction.status.in_(statuses),
            BankTransaction.amount == amount,
            BankTransaction.currency == currency,
        )
        .order_by(BankTransaction.id)
    )
    return list(session.scalars(stmt))


def statement(session: Session, tenant: Tenant, statement_id: str) -> BankStatement | None:
    stmt = tenant.scope(select(BankStatement), BankStatement)
    return session.scalar(stmt.where(BankStatement.id == statement_id))


def statement_by_key(session: Session, tenant: Tenant, key: str) -> BankStatement | None:
    """The statement imported under `key` (`camt053.statement_key`), if one was."""
    stmt = tenant.scope(select(BankStatement), BankStatement)
    return session.scalar(stmt.where(BankStatement.statement_key == key))


def lock_transaction_by_entry(
    session: Session, tenant: Tenant, account_number: str | None, entry_ref: str
) -> BankTransaction | None:
    """The bank account's transaction of the statement entry `entry_ref`, if an earlier
    statement had it, FOR UPDATE."""
    seen = tenant.scope(select(BankTransaction), BankTransaction).where(
        BankTransaction.account_number == account_number,
        BankTransaction.entry_ref == entry_ref,
    )
    return session.scalar(seen.with_for_update())


def bank_transactions_page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, status: str | None
) -> Page[BankTransaction]:
    stmt = tenant.scope(select(BankTransaction), BankTransaction)
    if status is not None:
        stmt = stmt.where(BankTransaction.status == status)
    return paginate(session, stmt, BankTransaction, limit, starting_after)


def payment_by_key(session: Session, account_id: str, payment_id: str) -> Payment:
    return session.get_one(Payment, (account_id, payment_id))


def find_payment_by_key(session: Session, account_id: str, payment_id: str) -> Payment | None:
    """The account's payment with this id, in test or live data, if there is one."""
    return session.get(Payment, (account_id, payment_id))


def find_dispute_by_key(session: Session, account_id: str, dispute_id: str) -> Dispute | None:
    return session.get(Dispute, (account_id, dispute_id))


def find_transaction_by_key(
    session: Session, account_id: str, transaction_id: str
) -> BankTransaction | None:
    return session.get(BankTransaction, (account_id, transaction_id))


def refund_by_key(session: Session, account_id: str, refund_id: str) -> Refund:
    return session.get_one(Refund, (account_id, refund_id))


def method_by_key(session: Session, account_id: str, method_id: str | None) -> PaymentMethod:
    """The method a row of the account names (it exists: NoResultFound otherwise)."""
    return session.get_one(PaymentMethod, (account_id, method_id))


def find_method_by_key(session: Session, account_id: str, method_id: str) -> PaymentMethod | None:
    return session.get(PaymentMethod, (account_id, method_id))


def find_gateway_customer(
    session: Session, account_id: str, customer_id: str, gateway: str
) -> GatewayCustomer | None:
    """The processor's customer saved for ours, if one was."""
    return session.get(GatewayCustomer, (account_id, customer_id, gateway))
